import type { Socket } from 'socket.io-client';

import type { ClassificationResult, ClientToServerEvents, ErrorPayload, FrameAck, ServerToClientEvents } from '../server/protocol.js';
import type { Camera } from './camera.js';

type LiveSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** Time to wait for a frame's acknowledgement before sending the next one, in ms. */
const ACK_TIMEOUT_MS = 15_000;
/** Pause after the server rejects a frame, so a persistent problem does not become a busy loop, in ms. */
const ERROR_PAUSE_MS = 1_000;
/** Maximum pause after repeated rejections for shutdown or rate limiting, in ms. */
const MAX_BACKOFF_MS = 8_000;
/** Rejections that mean "not now": the pause doubles with each one in a row. */
const BACKOFF_CODES: ReadonlySet<string> = new Set(['ERR_SERVER_SHUTTING_DOWN', 'ERR_RATE_LIMITED', 'ERR_SERVER_BUSY']);

export interface FrameLoopHandlers {
  /** Called when a frame was classified. `latencyMs` runs from capture to acknowledgement. */
  onResult(result: ClassificationResult, latencyMs: number): void;
  onError(error: ErrorPayload): void;
  /** True while the tab is joined as a camera, so frames would be accepted. */
  canSend(): boolean;
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function nextVideoFrame(): Promise<void> {
  return new Promise((resolve) => requestAnimationFrame(() => resolve()));
}

/**
 * Sends camera frames one at a time: capture, encode, send, and capture the next frame
 * only after the acknowledgement arrives. The send rate therefore follows the server's
 * inference speed, capped at the server's frames-per-second limit.
 */
export class FrameLoop {
  readonly #camera: Camera;
  readonly #socket: LiveSocket;
  readonly #handlers: FrameLoopHandlers;
  #running = false;
  #minIntervalMs = 0;

  constructor(camera: Camera, socket: LiveSocket, handlers: FrameLoopHandlers) {
    this.#camera = camera;
    this.#socket = socket;
    this.#handlers = handlers;
  }

  /** Starts sending at most `maxFramesPerSecond`, the server's limit from the join acknowledgement. */
  start(maxFramesPerSecond: number): void {
    this.#minIntervalMs = 1000 / maxFramesPerSecond;
    if (this.#running) return;

    this.#running = true;
    void this.#run();
  }

  stop(): void {
    this.#running = false;
  }

  async #run(): Promise<void> {
    let lastSentAt = 0;
    let backoffMs = ERROR_PAUSE_MS;

    while (this.#running) {
      if (!this.#socket.connected || !this.#handlers.canSend()) {
        await pause(250);
        continue;
      }

      const wait = lastSentAt + this.#minIntervalMs - performance.now();
      if (wait > 0) await pause(wait);

      const capturedAt = performance.now();
      const jpeg = await this.#camera.captureJpeg();
      if (jpeg === null) {
        await nextVideoFrame();
        continue;
      }

      lastSentAt = performance.now();
      const ack = await this.#send(await jpeg.arrayBuffer());
      if (!this.#running) return;

      // The connection dropped before the acknowledgement: wait for the rejoin above.
      if (ack === null) continue;

      if (ack.status === 'ok') {
        backoffMs = ERROR_PAUSE_MS;
        this.#handlers.onResult(ack.result, performance.now() - capturedAt);
      } else if (ack.status === 'error') {
        this.#handlers.onError(ack.error);
        if (BACKOFF_CODES.has(ack.error.code)) {
          await pause(backoffMs);
          backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
        } else {
          await pause(ERROR_PAUSE_MS);
        }
      }
    }
  }

  /**
   * Sends one frame and returns its acknowledgement, or null when the connection drops
   * first. Socket.IO never delivers the acknowledgement of a frame sent on a connection
   * that has since closed, so waiting for the timeout would stall the camera.
   */
  async #send(frame: ArrayBuffer): Promise<FrameAck | null> {
    let onDisconnect = (): void => undefined;
    const disconnected = new Promise<null>((resolve) => {
      onDisconnect = () => resolve(null);
      this.#socket.once('disconnect', onDisconnect);
    });

    try {
      return await Promise.race([this.#socket.timeout(ACK_TIMEOUT_MS).emitWithAck('classify-frame', frame), disconnected]);
    } catch {
      return {
        status: 'error',
        error: { code: 'ERR_INTERNAL', message: `no acknowledgement within ${ACK_TIMEOUT_MS / 1000} s; the connection may have dropped` },
      };
    } finally {
      this.#socket.off('disconnect', onDisconnect);
    }
  }
}
