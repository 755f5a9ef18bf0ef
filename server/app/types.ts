import type { Server, Socket } from 'socket.io';

import type { ClassificationResult } from '../classifier/types.js';
import type { ResolvedConfig } from '../config.js';
import type { Logger } from '../logger.js';
import type { ClientToServerEvents, InterServerEvents, ServerToClientEvents, SocketData } from '../protocol.js';
import type { SessionStore } from '../sessions/store.js';

export type AppServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type AppSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

/** The part of ClassifierPool that the server uses. */
export interface FrameClassifier {
  readonly ready: boolean;
  classify(image: Uint8Array, options?: { thumbnail?: boolean }): Promise<{ result: ClassificationResult; thumbnail?: Uint8Array }>;
}

/** Shared state of one running app, handed to the HTTP and socket handlers. */
export interface AppContext {
  readonly config: ResolvedConfig;
  readonly logger: Logger;
  readonly pool: FrameClassifier;
  readonly store: SessionStore;
  /** True once close() has started: new work is rejected with ERR_SERVER_SHUTTING_DOWN. */
  readonly isClosing: () => boolean;
}

/** Name of the Socket.IO room of a session. */
export function sessionRoom(sessionId: string): string {
  return `session:${sessionId}`;
}
