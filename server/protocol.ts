/**
 * The Socket.IO event contract between the server and its clients, shared by the server
 * (`new Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>`)
 * and the web client. docs/protocol.md describes the same contract for people writing
 * their own clients.
 *
 * This module is imported by browser code, so it contains types and plain constants only:
 * no Node imports, and type-only imports from the server.
 */
import type { ClassificationResult, Verdict } from './classifier/types.js';
import type { ErrorPayload } from './errors.js';

export type { ClassificationResult, Verdict, ErrorPayload };

/** Version of this contract, bumped on incompatible changes. */
export const PROTOCOL_VERSION = 1;

/**
 * Session ids are at least 128 random bits in URL-safe base64 (RFC 4648 section 5, no
 * padding): 16 bytes encode to 22 characters. Longer ids are accepted so that other
 * deployments can use more bits.
 */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{22,64}$/;

/** Maximum length of a client's display name, in characters. */
export const MAX_NAME_LENGTH = 40;

/** Path of the page for one session. The share link is this path on the server's origin. */
export function sessionPath(sessionId: string): string {
  return `/s/${sessionId}`;
}

/** A camera sends frames, and a viewer only watches. */
export type Role = 'camera' | 'viewer';

/**
 * Binary data on the wire. Senders may pass any of these, and receivers get an ArrayBuffer in
 * browsers and a Buffer (a Uint8Array) in Node.
 */
export type BinaryData = ArrayBuffer | Uint8Array;

/** One classified frame as stored in a session's history. */
export interface HistoryEntry {
  /** When the result was produced, in ms since the Unix epoch. */
  time: number;
  cameraId: string;
  verdict: Verdict;
  confidence: number;
}

/**
 * Running totals for a session. `cats` counts verdicts `cat` and `cat-and-dog`, `dogs`
 * counts `dog` and `cat-and-dog`, and `frames` counts every classified frame.
 */
export interface SessionCounts {
  cats: number;
  dogs: number;
  frames: number;
}

/** One connected tab, as shown in presence lists. */
export interface Member {
  /** Socket id of the tab. Results from a camera carry it as `cameraId`. */
  id: string;
  role: Role;
  name: string;
  /** When the tab joined the session, in ms since the Unix epoch. */
  joinedAt: number;
}

// ---- Requests (client to server) ----

export interface JoinSessionRequest {
  sessionId: string;
  role: Role;
  /** Display name of at most MAX_NAME_LENGTH characters. The server picks one when absent. */
  name?: string;
  /** Number of history entries to return, newest last. @default 0 */
  historyLimit?: number;
}

export interface HistoryRequest {
  /** Number of entries to return, newest last. The server caps it at its history length. */
  limit?: number;
}

// ---- Acknowledgements ----

export interface ErrorAck {
  status: 'error';
  error: ErrorPayload;
}

export interface JoinSessionOk {
  status: 'ok';
  protocolVersion: number;
  sessionId: string;
  you: Member;
  members: Member[];
  history: HistoryEntry[];
  counts: SessionCounts;
  /** Limits the server enforces on this tab's frames. */
  limits: { maxImageBytes: number; maxFramesPerSecond: number };
}
export type JoinSessionAck = JoinSessionOk | ErrorAck;

export interface HistoryOk {
  status: 'ok';
  entries: HistoryEntry[];
  counts: SessionCounts;
}
export type HistoryAck = HistoryOk | ErrorAck;

export interface FrameOk {
  status: 'ok';
  /** Sequence number of the frame within this camera's connection, starting at 1. */
  frameId: number;
  result: ClassificationResult;
  /** Session totals after this frame, or null when the session store failed to record it. */
  counts: SessionCounts | null;
}

/** A newer frame from the same camera replaced this one before it was classified. */
export interface FrameDropped {
  status: 'dropped';
  frameId: number;
}

export type FrameAck = FrameOk | FrameDropped | ErrorAck;

// ---- Server events ----

/** A classified frame, sent to every tab in the session. */
export interface ClassificationEvent {
  sessionId: string;
  cameraId: string;
  cameraName: string;
  frameId: number;
  /** When the result was produced, in ms since the Unix epoch. */
  time: number;
  result: ClassificationResult;
  /**
   * JPEG of the classified frame, long side at most 320 px, or null when this camera
   * already sent one within the server's thumbnail interval.
   */
  thumbnail: BinaryData | null;
  counts: SessionCounts | null;
}

export interface PresenceEvent {
  sessionId: string;
  members: Member[];
}

/** An error that belongs to no acknowledgement: an unknown event or one sent without a callback. */
export interface ProtocolErrorEvent extends ErrorPayload {
  /** Name of the event that caused the error. */
  event: string;
}

// ---- Event maps ----

export interface ClientToServerEvents {
  /** Joins a session, or rejoins with another role. A tab is in at most one session. */
  'join-session': (request: JoinSessionRequest, ack: (response: JoinSessionAck) => void) => void;
  /** Sends one JPEG or WebP frame. Only cameras may send. */
  'classify-frame': (frame: BinaryData, ack: (response: FrameAck) => void) => void;
  /** Requests the current session's history. */
  'get-history': (request: HistoryRequest, ack: (response: HistoryAck) => void) => void;
}

export interface ServerToClientEvents {
  'classification-result': (event: ClassificationEvent) => void;
  presence: (event: PresenceEvent) => void;
  'protocol-error': (event: ProtocolErrorEvent) => void;
}

/** No server-to-server events: replicas share rooms and fetchSockets() through the adapter. */
export type InterServerEvents = Record<string, never>;

/**
 * Per-socket state. The adapter serializes it for fetchSockets() on other replicas, so it
 * must stay plain JSON.
 */
export interface SocketData {
  sessionId: string | null;
  role: Role;
  name: string;
  joinedAt: number;
}
