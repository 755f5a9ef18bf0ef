import { AppError, isExpectedError, toErrorPayload, type ErrorPayload } from '../errors.js';
import type { FrameAck, SessionCounts, Verdict } from '../protocol.js';
import { FrameQueue, type QueuedFrame } from './frame-queue.js';
import { parseFrame } from './payloads.js';
import { TokenBucket } from './token-bucket.js';
import { sessionRoom, type AppContext, type AppServer, type AppSocket } from './types.js';

/**
 * Frames from one camera tab in one session: checks, rate limit, the frame queue,
 * inference, history and fan-out. A tab that leaves the session or stops being a camera
 * gets a new instance when it comes back.
 */
export class CameraFrames {
  readonly sessionId: string;
  readonly #context: AppContext;
  readonly #io: AppServer;
  readonly #socket: AppSocket;
  readonly #queue = new FrameQueue((frame) => this.#classifySafely(frame));
  readonly #rate: TokenBucket;
  #nextFrameId = 1;
  #lastThumbnailAt = Number.NEGATIVE_INFINITY;
  /** History appends that failed in a row, so an outage is logged once. */
  #appendFailures = 0;

  constructor(context: AppContext, io: AppServer, socket: AppSocket, sessionId: string) {
    this.sessionId = sessionId;
    this.#context = context;
    this.#io = io;
    this.#socket = socket;

    // One second of burst: a camera that waits for each acknowledgement never hits it.
    const fps = context.config.maxFramesPerSecond;
    this.#rate = new TokenBucket(fps, fps);
  }

  /** Checks one `classify-frame` payload and queues it, or throws AppError for a rejected frame. */
  receive(payload: unknown, ack: (response: FrameAck) => void): void {
    const { config } = this.#context;
    if (this.#context.isClosing()) {
      throw new AppError('ERR_SERVER_SHUTTING_DOWN', 'the server is shutting down; reconnect and send the frame again');
    }

    const image = parseFrame(payload);

    // Rate limit before the size checks, so that a flood of bad frames is limited too.
    if (!this.#rate.tryTake()) {
      throw new AppError(
        'ERR_RATE_LIMITED',
        `frame rejected: this camera sent more than ${config.maxFramesPerSecond} frames per second (CATDOG_MAX_FPS); send the next frame after the previous acknowledgement`,
      );
    }

    if (image.byteLength === 0) {
      throw new AppError('ERR_IMAGE_EMPTY', 'frame rejected: the image is empty (0 bytes)');
    }
    if (image.byteLength > config.maxImageBytes) {
      throw new AppError(
        'ERR_IMAGE_TOO_LARGE',
        `frame rejected: ${image.byteLength} bytes is over the limit of ${config.maxImageBytes} bytes (CATDOG_MAX_IMAGE_BYTES); scale or compress frames before sending`,
      );
    }

    this.#queue.submit({ frameId: this.#nextFrameId++, image, ack });
  }

  /** Stops taking frames and resolves once the frame in progress has been acknowledged. */
  close(error: ErrorPayload): Promise<void> {
    return this.#queue.close(error);
  }

  /**
   * Closes the camera's connection, e.g. after close() during shutdown. It closes the
   * transport rather than calling socket.disconnect(), because Socket.IO clients reconnect
   * after a transport close but stay offline after a server-side disconnect. Packets
   * already queued, such as the last acknowledgement, are flushed first.
   */
  disconnect(): void {
    this.#socket.conn.close();
  }

  /** Runs #classify and turns an unexpected throw into an ERR_INTERNAL acknowledgement. */
  async #classifySafely(frame: QueuedFrame): Promise<void> {
    try {
      await this.#classify(frame);
    } catch (error) {
      this.#context.logger.error({ err: error, sessionId: this.sessionId, frameId: frame.frameId }, 'frame handling failed');
      frame.ack({ status: 'error', error: toErrorPayload(error) });
    }
  }

  async #classify(frame: QueuedFrame): Promise<void> {
    const { pool, config, logger } = this.#context;
    const cameraId = this.#socket.id;
    const log = { sessionId: this.sessionId, cameraId, frameId: frame.frameId, bytes: frame.image.byteLength };

    const wantThumbnail = Date.now() - this.#lastThumbnailAt >= config.thumbnailIntervalMs;
    let output: Awaited<ReturnType<typeof pool.classify>>;
    try {
      output = await pool.classify(frame.image, { thumbnail: wantThumbnail });
    } catch (error) {
      const payload = toErrorPayload(error);
      if (isExpectedError(error)) logger.info({ ...log, code: payload.code }, 'frame not classified');
      else logger.error({ ...log, err: error, code: payload.code }, 'frame classification failed');
      frame.ack({ status: 'error', error: payload });
      return;
    }

    const time = Date.now();
    if (output.thumbnail !== undefined) this.#lastThumbnailAt = time;

    const { result } = output;
    const counts = await this.#record(time, result.verdict, result.confidence, log);
    frame.ack({ status: 'ok', frameId: frame.frameId, result, counts });

    this.#io.to(sessionRoom(this.sessionId)).emit('classification-result', {
      sessionId: this.sessionId,
      cameraId,
      cameraName: this.#socket.data.name,
      frameId: frame.frameId,
      time,
      result,
      thumbnail: output.thumbnail ?? null,
      counts,
    });

    logger.debug({ ...log, verdict: result.verdict, ms: result.timings.totalMs }, 'frame classified');
  }

  /** Appends the result to the session history and returns the counts, or null when the store fails. */
  async #record(
    time: number,
    verdict: Verdict,
    confidence: number,
    log: Record<string, unknown>,
  ): Promise<SessionCounts | null> {
    let counts: SessionCounts;
    try {
      counts = await this.#context.store.append(this.sessionId, { time, cameraId: this.#socket.id, verdict, confidence });
    } catch (error) {
      // One line per outage, not one per frame: a camera sends up to CATDOG_MAX_FPS frames a second.
      this.#appendFailures++;
      if (this.#appendFailures === 1) this.#context.logger.error({ ...log, err: error }, 'session history append failed; later failures are counted');
      return null;
    }

    if (this.#appendFailures > 0) {
      this.#context.logger.info({ ...log, failures: this.#appendFailures }, 'session history append recovered');
      this.#appendFailures = 0;
    }
    return counts;
  }
}
