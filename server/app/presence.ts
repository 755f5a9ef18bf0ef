import type { Member, Role, SocketData } from '../protocol.js';
import { sessionRoom, type AppContext, type AppServer } from './types.js';

/**
 * Lists the tabs in a session, oldest first. It queries the adapter rather than a local map,
 * so with the Redis adapter the list includes the tabs connected to other replicas.
 */
export async function listMembers(io: AppServer, sessionId: string): Promise<Member[]> {
  const sockets = await io.in(sessionRoom(sessionId)).fetchSockets();
  return toMembers(sockets, sessionId);
}

/**
 * Lists the session's tabs on this replica only. Used when the adapter cannot reach the
 * other replicas (for example while Redis is down), so a join still succeeds.
 */
export async function listLocalMembers(io: AppServer, sessionId: string): Promise<Member[]> {
  const sockets = await io.local.in(sessionRoom(sessionId)).fetchSockets();
  return toMembers(sockets, sessionId);
}

function toMembers(sockets: ReadonlyArray<{ id: string; data: SocketData }>, sessionId: string): Member[] {

  const members: Member[] = [];
  for (const socket of sockets) {
    if (socket.data.sessionId !== sessionId) continue;
    members.push({ id: socket.id, role: socket.data.role, name: socket.data.name, joinedAt: socket.data.joinedAt });
  }
  return members.sort((a, b) => a.joinedAt - b.joinedAt || a.id.localeCompare(b.id));
}

/** Sends the current member list to everyone in the session. Failures are logged, not thrown. */
export async function broadcastPresence(context: AppContext, io: AppServer, sessionId: string): Promise<void> {
  try {
    const members = await listMembers(io, sessionId);
    io.to(sessionRoom(sessionId)).emit('presence', { sessionId, members });
  } catch (error) {
    // With the Redis adapter fetchSockets() times out when a replica does not reply.
    context.logger.warn({ err: error, sessionId }, 'presence update failed');
  }
}

/** Default display name, e.g. "Camera 3f9a", from the role and the socket id. */
export function defaultName(role: Role, socketId: string): string {
  const prefix = role === 'camera' ? 'Camera' : 'Viewer';
  return `${prefix} ${socketId.replace(/[^A-Za-z0-9]/g, '').slice(0, 4)}`;
}

/**
 * Coalesces member-list broadcasts: a change schedules one broadcast per session after
 * `intervalMs`, and further changes in that time ride along with it. Without this, N tabs
 * joining one session would send N full lists to N tabs.
 */
export class PresenceBroadcaster {
  readonly #context: AppContext;
  readonly #io: AppServer;
  readonly #intervalMs: number;
  readonly #timers = new Map<string, NodeJS.Timeout>();
  #closed = false;

  constructor(context: AppContext, io: AppServer) {
    this.#context = context;
    this.#io = io;
    this.#intervalMs = context.config.presenceIntervalMs;
  }

  /** Broadcasts sessionId's member list within intervalMs, once however often it is called. */
  schedule(sessionId: string): void {
    if (this.#closed || this.#timers.has(sessionId)) return;

    const timer = setTimeout(() => {
      this.#timers.delete(sessionId);
      void broadcastPresence(this.#context, this.#io, sessionId);
    }, this.#intervalMs);
    this.#timers.set(sessionId, timer);
  }

  /** Cancels every scheduled broadcast. Safe to call twice. */
  close(): void {
    this.#closed = true;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }
}
