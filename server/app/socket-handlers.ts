import { AppError, isExpectedError, toErrorPayload, type ErrorPayload } from '../errors.js';
import { PROTOCOL_VERSION, type ClientToServerEvents, type HistoryAck, type JoinSessionAck, type Member } from '../protocol.js';
import { CameraFrames } from './camera-frames.js';
import { describeValue } from './describe-value.js';
import { CREATE_SESSION_HINT, parseHistoryRequest, parseJoinRequest } from './payloads.js';
import { defaultName, listLocalMembers, listMembers, type PresenceBroadcaster } from './presence.js';
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

/** State shared by every connection of one app. */
export interface ConnectionShared {
  readonly cameras: CameraRegistry;
  readonly presence: PresenceBroadcaster;
}

/** Wires the events of one connected socket. */
export function handleConnection(context: AppContext, io: AppServer, shared: ConnectionShared, socket: AppSocket): void {
  const connection = new Connection(context, io, shared, socket);
  connection.bind();
}

class Connection {
  readonly #context: AppContext;
  readonly #io: AppServer;
  readonly #cameras: CameraRegistry;
  readonly #presence: PresenceBroadcaster;
  readonly #socket: AppSocket;
  readonly #control = new TokenBucket(CONTROL_PER_SECOND, CONTROL_BURST);
  /** Error codes already logged at info for this socket; repeats go to debug. */
  readonly #loggedCodes = new Set<string>();
  #camera: CameraFrames | null = null;

  constructor(context: AppContext, io: AppServer, shared: ConnectionShared, socket: AppSocket) {
    this.#context = context;
    this.#io = io;
    this.#cameras = shared.cameras;
    this.#presence = shared.presence;
    this.#socket = socket;
    socket.data = { sessionId: null, role: 'viewer', name: defaultName('viewer', socket.id), joinedAt: Date.now() };
  }

  bind(): void {
    const socket = this.#socket;

    this.#onRequest('join-session', (payload) => this.#join(payload));
    this.#onRequest('get-history', (payload) => this.#history(payload));
    socket.on('classify-frame', (...args: unknown[]) => this.#frame(args));

    socket.onAny((event: unknown, ...args: unknown[]) => this.#unknownEvent(event, args));

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

  /**
   * Acknowledges an event that is not part of the protocol, e.g. a typo such as
   * 'classify_frame'. With a callback it gets an error acknowledgement, so the client
   * does not wait forever, and without one a `protocol-error`.
   */
  #unknownEvent(event: unknown, args: unknown[]): void {
    if (typeof event === 'string' && KNOWN_EVENTS.has(event)) return;

    const name = typeof event === 'string' ? event.slice(0, 60) : describeValue(event);
    const error: ErrorPayload = {
      code: 'ERR_UNKNOWN_EVENT',
      message: `unknown event '${name}': valid events are ${[...KNOWN_EVENTS].join(', ')}; docs/protocol.md describes them`,
    };

    const ack = args.at(-1);
    if (typeof ack !== 'function') {
      this.#protocolError(name, error);
      return;
    }
    if (!this.#control.tryTake()) {
      this.#context.logger.debug({ socketId: this.#socket.id, event: name }, 'unknown event dropped: control-event limit reached');
      return;
    }
    this.#logClientFault(name, error);
    (ack as (response: { status: 'error'; error: ErrorPayload }) => void)({ status: 'error', error });
  }

  async #join(payload: unknown): Promise<JoinSessionAck> {
    const { config, store } = this.#context;
    const request = parseJoinRequest(payload, config.historyLength);
    this.#rejectWhenClosing();

    if (!(await store.exists(request.sessionId))) {
      throw new AppError(
        'ERR_SESSION_NOT_FOUND',
        `session ${request.sessionId} not found: it never existed or expired after ${config.sessionTtlSeconds} s without activity; ${CREATE_SESSION_HINT}`,
      );
    }

    const socket = this.#socket;
    const room = sessionRoom(request.sessionId);

    // The count covers this replica only, because counting across replicas would cost a
    // fetchSockets() round trip per join.
    const present = this.#io.of('/').adapter.rooms.get(room)?.size ?? 0;
    if (socket.data.sessionId !== request.sessionId && present >= config.maxSessionMembers) {
      throw new AppError(
        'ERR_SESSION_FULL',
        `session ${request.sessionId} is full: it has ${present} tabs, the limit is ${config.maxSessionMembers} (CATDOG_MAX_SESSION_MEMBERS); close a tab or start another session`,
      );
    }

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
      this.#presence.schedule(previous);
    }

    socket.data = {
      sessionId: request.sessionId,
      role: request.role,
      name: request.name ?? defaultName(request.role, socket.id),
      joinedAt: sameSession ? socket.data.joinedAt : Date.now(),
    };
    await socket.join(room);
    if (request.role === 'camera' && this.#camera === null) this.#startCamera(request.sessionId);

    const [history, members] = await Promise.all([
      store.history(request.sessionId, request.historyLimit),
      this.#listMembers(request.sessionId),
    ]);
    this.#presence.schedule(request.sessionId);

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
    if (this.#context.isClosing()) {
      this.#frameDuringShutdown(reply);
      return;
    }

    try {
      if (this.#camera === null) {
        throw new AppError('ERR_NOT_A_CAMERA', "frame rejected: this tab is not a camera; send join-session with role 'camera' first");
      }
      this.#camera.receive(args.length > 1 ? args[0] : undefined, reply);
    } catch (error) {
      reply({ status: 'error', error: this.#logError('classify-frame', error) });
    }
  }

  /**
   * Rejects a frame that arrives after close() started, then disconnects this socket once
   * its frame in progress (if any) is acknowledged. The client reconnects, to another
   * replica or to this server once it is back, instead of sending frames that can only
   * be rejected.
   */
  #frameDuringShutdown(reply: Parameters<ClientToServerEvents['classify-frame']>[1]): void {
    const error: ErrorPayload = {
      code: 'ERR_SERVER_SHUTTING_DOWN',
      message: 'frame rejected: the server is shutting down and closes this connection; reconnect and send the frame again',
    };
    reply({ status: 'error', error });
    this.#logClientFault('classify-frame', error);

    const camera = this.#camera;
    const finished = camera === null ? Promise.resolve() : camera.close(error);
    // Closing the transport (not socket.disconnect()) makes Socket.IO clients reconnect.
    void finished.then(() => this.#socket.conn.close());
  }

  #disconnected(reason: string): void {
    const sessionId = this.#socket.data.sessionId;
    this.#stopCamera({ code: 'ERR_NOT_A_CAMERA', message: 'frame dropped: the camera disconnected' });
    this.#context.logger.info({ sessionId, socketId: this.#socket.id, reason }, 'socket disconnected');

    // The socket has already left its rooms, so the new list no longer contains it.
    if (sessionId !== null) this.#presence.schedule(sessionId);
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

  /**
   * Logs an error for an event and returns its payload. Errors of this server are logged
   * at error with their stack, and rejections the client can act on go to #logClientFault.
   */
  #logError(event: string, error: unknown): ErrorPayload {
    const payload = toErrorPayload(error);
    if (isExpectedError(error)) {
      this.#logClientFault(event, payload);
      return payload;
    }

    const fields = { socketId: this.#socket.id, sessionId: this.#socket.data.sessionId, event, code: payload.code };
    this.#context.logger.error({ ...fields, err: error }, `${event} failed`);
    return payload;
  }

  /**
   * Logs a rejected request without a stack: the first time per code and socket at info,
   * repeats at debug, so a client looping on the same mistake writes one info line.
   */
  #logClientFault(event: string, error: ErrorPayload): void {
    const fields = { socketId: this.#socket.id, sessionId: this.#socket.data.sessionId, event, code: error.code };
    const repeated = this.#loggedCodes.has(error.code);
    this.#loggedCodes.add(error.code);

    if (repeated || error.code === 'ERR_RATE_LIMITED') this.#context.logger.debug(fields, `${event} rejected again`);
    else this.#context.logger.info({ ...fields, message: error.message }, `${event} rejected`);
  }
}
