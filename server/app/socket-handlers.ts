import { AppError, toErrorPayload, type ErrorPayload } from '../errors.js';
import { PROTOCOL_VERSION, type ClientToServerEvents, type HistoryAck, type JoinSessionAck, type Member } from '../protocol.js';
import { CameraFrames } from './camera-frames.js';
import { parseHistoryRequest, parseJoinRequest } from './payloads.js';
import { broadcastPresence, defaultName, listLocalMembers, listMembers } from './presence.js';
import { TokenBucket } from './token-bucket.js';
import { sessionRoom, type AppContext, type AppServer, type AppSocket } from './types.js';

type EventName = keyof ClientToServerEvents;
const KNOWN_EVENTS: ReadonlySet<string> = new Set<EventName>(['join-session', 'classify-frame', 'get-history']);

/**
 * Control events (joins, history requests and protocol errors sent back) allowed per
 * socket: a burst of 10, then 5 per second. Frames have their own limit.
 */
const CONTROL_BURST = 10;
const CONTROL_PER_SECOND = 5;

/** Every CameraFrames alive in this process, so that close() can drain them. */
export type CameraRegistry = Set<CameraFrames>;

/** Wires the events of one connected socket. */
export function handleConnection(context: AppContext, io: AppServer, cameras: CameraRegistry, socket: AppSocket): void {
  const connection = new Connection(context, io, cameras, socket);
  connection.bind();
}

class Connection {
  readonly #context: AppContext;
  readonly #io: AppServer;
  readonly #cameras: CameraRegistry;
  readonly #socket: AppSocket;
  readonly #control = new TokenBucket(CONTROL_PER_SECOND, CONTROL_BURST);
  #camera: CameraFrames | null = null;

  constructor(context: AppContext, io: AppServer, cameras: CameraRegistry, socket: AppSocket) {
    this.#context = context;
    this.#io = io;
    this.#cameras = cameras;
    this.#socket = socket;
    socket.data = { sessionId: null, role: 'viewer', name: defaultName('viewer', socket.id), joinedAt: Date.now() };
  }

  bind(): void {
    const socket = this.#socket;

    this.#onRequest('join-session', (payload) => this.#join(payload));
    this.#onRequest('get-history', (payload) => this.#history(payload));
    socket.on('classify-frame', (...args: unknown[]) => this.#frame(args));

    socket.onAny((event: unknown) => {
      if (typeof event === 'string' && KNOWN_EVENTS.has(event)) return;
      this.#protocolError(String(event), { code: 'ERR_INVALID_PAYLOAD', message: `unknown event '${String(event).slice(0, 60)}'; docs/protocol.md lists the events` });
    });

    socket.on('disconnect', (reason) => this.#disconnected(reason));
  }

  /**
   * Registers a request/acknowledgement event. Errors thrown by `handler` become an
   * `{ status: 'error' }` acknowledgement. An event without a callback gets `protocol-error`.
   */
  #onRequest<Ack>(event: EventName, handler: (payload: unknown) => Promise<Ack>): void {
    this.#socket.on(event, async (...args: unknown[]) => {
      const ack = args.at(-1);
      if (typeof ack !== 'function') {
        this.#protocolError(event, { code: 'ERR_INVALID_PAYLOAD', message: `${event} requires an acknowledgement callback as its last argument` });
        return;
      }

      const reply = ack as (response: Ack | { status: 'error'; error: ErrorPayload }) => void;
      try {
        if (!this.#control.tryTake()) {
          throw new AppError('ERR_RATE_LIMITED', `too many requests: more than ${CONTROL_PER_SECOND} per second from this connection; wait and retry`);
        }
        reply(await handler(args.length > 1 ? args[0] : undefined));
      } catch (error) {
        reply({ status: 'error', error: this.#logError(event, error) });
      }
    });
  }

  async #join(payload: unknown): Promise<JoinSessionAck> {
    const { config, store } = this.#context;
    const request = parseJoinRequest(payload, config.historyLength);
    this.#rejectWhenClosing();

    if (!(await store.exists(request.sessionId))) {
      throw new AppError(
        'ERR_SESSION_NOT_FOUND',
        `session ${request.sessionId} not found: it never existed or expired after ${config.sessionTtlSeconds} s without activity; open the page without a session to start a new one`,
      );
    }

    const socket = this.#socket;

    // Joining a room after the disconnect would leave a dead socket id in it.
    if (socket.disconnected) {
      return { status: 'error', error: { code: 'ERR_INTERNAL', message: 'the connection closed during join-session' } };
    }

    const previous = socket.data.sessionId;
    const sameSession = previous === request.sessionId;

    // Leaving a session, or no longer being its camera, ends this tab's frame queue.
    if (this.#camera !== null && (!sameSession || request.role !== 'camera')) {
      this.#stopCamera({ code: 'ERR_NOT_A_CAMERA', message: 'frame dropped: this tab left the session or stopped being a camera' });
    }
    if (previous !== null && !sameSession) {
      await socket.leave(sessionRoom(previous));
      void broadcastPresence(this.#context, this.#io, previous);
    }

    socket.data = {
      sessionId: request.sessionId,
      role: request.role,
      name: request.name ?? defaultName(request.role, socket.id),
      joinedAt: sameSession ? socket.data.joinedAt : Date.now(),
    };
    await socket.join(sessionRoom(request.sessionId));
    if (request.role === 'camera' && this.#camera === null) this.#startCamera(request.sessionId);

    const [history, members] = await Promise.all([
      store.history(request.sessionId, request.historyLimit),
      this.#listMembers(request.sessionId),
    ]);
    void broadcastPresence(this.#context, this.#io, request.sessionId);

    this.#context.logger.info({ sessionId: request.sessionId, socketId: socket.id, role: request.role }, 'session joined');
    return {
      status: 'ok',
      protocolVersion: PROTOCOL_VERSION,
      sessionId: request.sessionId,
      you: members.find((member) => member.id === socket.id) ?? {
        id: socket.id,
        role: socket.data.role,
        name: socket.data.name,
        joinedAt: socket.data.joinedAt,
      },
      members,
      history: history.entries,
      counts: history.counts,
      limits: { maxImageBytes: config.maxImageBytes, maxFramesPerSecond: config.maxFramesPerSecond },
    };
  }

  async #history(payload: unknown): Promise<HistoryAck> {
    const request = parseHistoryRequest(payload, this.#context.config.historyLength);
    const sessionId = this.#socket.data.sessionId;
    if (sessionId === null) {
      throw new AppError('ERR_SESSION_NOT_FOUND', 'get-history requires a session: send join-session first');
    }

    const { entries, counts } = await this.#context.store.history(sessionId, request.limit);
    return { status: 'ok', entries, counts };
  }

  #frame(args: unknown[]): void {
    const ack = args.at(-1);
    if (typeof ack !== 'function') {
      this.#protocolError('classify-frame', {
        code: 'ERR_INVALID_PAYLOAD',
        message: 'classify-frame requires an acknowledgement callback: send the next frame after the previous one is acknowledged',
      });
      return;
    }

    const reply = ack as Parameters<ClientToServerEvents['classify-frame']>[1];
    try {
      this.#rejectWhenClosing();
      if (this.#camera === null) {
        throw new AppError('ERR_NOT_A_CAMERA', "frame rejected: this tab is not a camera; send join-session with role 'camera' first");
      }
      this.#camera.receive(args.length > 1 ? args[0] : undefined, reply);
    } catch (error) {
      reply({ status: 'error', error: this.#logError('classify-frame', error) });
    }
  }

  #disconnected(reason: string): void {
    const sessionId = this.#socket.data.sessionId;
    this.#stopCamera({ code: 'ERR_NOT_A_CAMERA', message: 'frame dropped: the camera disconnected' });
    this.#context.logger.info({ sessionId, socketId: this.#socket.id, reason }, 'socket disconnected');

    // The socket has already left its rooms, so the new list no longer contains it.
    if (sessionId !== null) void broadcastPresence(this.#context, this.#io, sessionId);
  }

  async #listMembers(sessionId: string): Promise<Member[]> {
    try {
      return await listMembers(this.#io, sessionId);
    } catch (error) {
      this.#context.logger.warn({ err: error, sessionId }, 'member list from other replicas failed; listing this replica only');
      return listLocalMembers(this.#io, sessionId);
    }
  }

  #startCamera(sessionId: string): void {
    this.#camera = new CameraFrames(this.#context, this.#io, this.#socket, sessionId);
    this.#cameras.add(this.#camera);
  }

  #stopCamera(error: ErrorPayload): void {
    const camera = this.#camera;
    if (camera === null) return;

    this.#camera = null;
    void camera.close(error).finally(() => this.#cameras.delete(camera));
  }

  #rejectWhenClosing(): void {
    if (this.#context.isClosing()) {
      throw new AppError('ERR_SERVER_SHUTTING_DOWN', 'the server is shutting down; the client reconnects to another replica or when it is back');
    }
  }

  /** Sends `protocol-error`, unless this socket is over its control-event limit. */
  #protocolError(event: string, error: ErrorPayload): void {
    const fields = { socketId: this.#socket.id, event, code: error.code };
    if (!this.#control.tryTake()) {
      this.#context.logger.debug(fields, 'protocol error not sent: control-event limit reached');
      return;
    }

    this.#context.logger.info(fields, 'protocol error');
    this.#socket.emit('protocol-error', { event, ...error });
  }

  /** Logs an error for an event (client errors at info, server faults at error) and returns its payload. */
  #logError(event: string, error: unknown): ErrorPayload {
    const payload = toErrorPayload(error);
    const clientFault = error instanceof AppError && error.httpStatus < 500;
    const fields = { socketId: this.#socket.id, sessionId: this.#socket.data.sessionId, event, code: payload.code };

    // A flooding client would otherwise write one line per rejected frame.
    if (payload.code === 'ERR_RATE_LIMITED') this.#context.logger.debug(fields, `${event} rejected: rate limited`);
    else if (clientFault) this.#context.logger.info(fields, `${event} rejected: ${payload.message}`);
    else this.#context.logger.error({ ...fields, err: error }, `${event} failed`);
    return payload;
  }
}
