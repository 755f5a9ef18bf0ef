import type { ErrorPayload, FrameAck } from '../protocol.js';

/** A frame accepted from a camera, with the callback that acknowledges it. */
export interface QueuedFrame {
  readonly frameId: number;
  readonly image: Uint8Array;
  readonly ack: (response: FrameAck) => void;
}

/**
 * Backpressure for one camera: at most one frame is being classified and at most one
 * waits. A newer frame replaces the waiting one, which is acknowledged as `dropped`,
 * so a camera that sends faster than inference runs always gets its latest frame
 * classified next and the server never keeps more than two frames per camera.
 */
export class FrameQueue {
  readonly #process: (frame: QueuedFrame) => Promise<void>;
  #running: Promise<void> | null = null;
  #waiting: QueuedFrame | null = null;
  #closedWith: ErrorPayload | null = null;

  /** `process` classifies one frame and acknowledges it. It must not reject. */
  constructor(process: (frame: QueuedFrame) => Promise<void>) {
    this.#process = process;
  }

  get busy(): boolean {
    return this.#running !== null;
  }

  get waiting(): number {
    return this.#waiting === null ? 0 : 1;
  }

  submit(frame: QueuedFrame): void {
    if (this.#closedWith !== null) {
      frame.ack({ status: 'error', error: this.#closedWith });
      return;
    }

    if (this.#running === null) {
      this.#start(frame);
      return;
    }

    const replaced = this.#waiting;
    this.#waiting = frame;
    replaced?.ack({ status: 'dropped', frameId: replaced.frameId });
  }

  /**
   * Stops accepting frames: the waiting frame and every later one are acknowledged with
   * `error`. Resolves once the frame being classified has been acknowledged. Safe to call
   * twice, and the first error wins.
   */
  close(error: ErrorPayload): Promise<void> {
    this.#closedWith ??= error;

    const waiting = this.#waiting;
    this.#waiting = null;
    waiting?.ack({ status: 'error', error: this.#closedWith });

    return this.#running ?? Promise.resolve();
  }

  #start(frame: QueuedFrame): void {
    this.#running = this.#process(frame).finally(() => {
      this.#running = null;

      const next = this.#waiting;
      this.#waiting = null;
      if (next !== null) this.#start(next);
    });
  }
}
