import { AppError } from '../errors.js';
import { describeValue } from './describe-value.js';
import { MAX_NAME_LENGTH, SESSION_ID_PATTERN, type HistoryRequest, type JoinSessionRequest, type Role } from '../protocol.js';

// Runtime checks for event payloads: TypeScript types do not exist on the wire, so every
// field a client sends is checked here before a handler uses it.

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** How to get a valid session id, for people and for API clients. */
export const CREATE_SESSION_HINT = 'open the page without a session, or send POST /api/sessions, to create one';

/** Throws ERR_INVALID_SESSION_ID unless `value` is a well-formed session id. */
export function parseSessionId(value: unknown): string {
  if (typeof value === 'string' && SESSION_ID_PATTERN.test(value)) return value;

  // Only a string can be a malformed id. Anything else means the payload has the wrong shape.
  if (typeof value !== 'string') {
    throw new AppError('ERR_INVALID_PAYLOAD', `invalid session id: expected a string, got ${describeValue(value)}`);
  }
  throw new AppError(
    'ERR_INVALID_SESSION_ID',
    `invalid session id ${describeValue(value)}: expected 22 to 64 characters of A-Z, a-z, 0-9, '-' or '_'; ${CREATE_SESSION_HINT}`,
  );
}

function parseRole(value: unknown): Role {
  if (value === 'camera' || value === 'viewer') return value;
  throw new AppError('ERR_INVALID_PAYLOAD', `invalid role ${describeValue(value)}: expected 'camera' or 'viewer'`);
}

/** ANSI escape sequences (CSI such as colours and cursor moves, and OSC such as terminal titles). */
const ANSI_ESCAPE = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u009b[0-?]*[ -/]*[@-~]/g;

/**
 * Control characters, and the bidirectional embeddings, overrides and isolates
 * (U+202A-U+202E, U+2066-U+2069) that can make a name display reversed or spill over
 * the text after it.
 */
const UNSAFE_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** Removes escape sequences, control and bidi characters and surrounding spaces, and cuts to MAX_NAME_LENGTH characters. */
export function parseName(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    throw new AppError('ERR_INVALID_PAYLOAD', `invalid name: expected a string, got ${describeValue(value)}`);
  }

  // Escape sequences go first, because removing their ESC byte alone would leave "[31m" visible.
  const cleaned = value.replace(ANSI_ESCAPE, '').replace(UNSAFE_CHARACTERS, '').trim();
  const characters = Array.from(cleaned).slice(0, MAX_NAME_LENGTH);
  return characters.length === 0 ? undefined : characters.join('');
}

function parseLimit(value: unknown, field: string, max: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return Math.min(value, max);

  throw new AppError('ERR_INVALID_PAYLOAD', `invalid ${field}: expected an integer >= 0, got ${describeValue(value)}`);
}

/** Checks a `join-session` payload and caps historyLimit at `maxHistory`. */
export function parseJoinRequest(value: unknown, maxHistory: number): Required<Omit<JoinSessionRequest, 'name'>> & { name: string | undefined } {
  if (!isRecord(value)) {
    throw new AppError('ERR_INVALID_PAYLOAD', `invalid join-session payload: expected an object { sessionId, role }, got ${describeValue(value)}`);
  }

  return {
    sessionId: parseSessionId(value.sessionId),
    role: parseRole(value.role),
    name: parseName(value.name),
    historyLimit: parseLimit(value.historyLimit, 'historyLimit', maxHistory) ?? 0,
  };
}

/** Checks a `get-history` payload. A missing payload means the default limit. */
export function parseHistoryRequest(value: unknown, maxHistory: number): Required<HistoryRequest> {
  if (value !== undefined && value !== null && !isRecord(value)) {
    throw new AppError('ERR_INVALID_PAYLOAD', `invalid get-history payload: expected an object { limit? } or no payload, got ${describeValue(value)}`);
  }

  return { limit: parseLimit(value?.limit, 'limit', maxHistory) ?? maxHistory };
}

/** Returns the bytes of a binary frame payload, and throws ERR_INVALID_PAYLOAD for anything else. */
export function parseFrame(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);

  throw new AppError(
    'ERR_INVALID_PAYLOAD',
    `invalid classify-frame payload: expected binary image data (ArrayBuffer, Uint8Array or Buffer), got ${describeValue(value)}; send the encoded JPEG or WebP bytes, not base64 text`,
  );
}
