import { AppError } from '../errors.js';
import type { FrameClassifier } from './types.js';

/**
 * A classifier that exists before its pool does, so the server can listen (and respond to
 * `GET /healthz`) while the model loads. Until `resolve()` is called it reports not ready
 * and rejects work with ERR_MODEL_NOT_READY.
 */
export class DeferredClassifier implements FrameClassifier {
  #target: FrameClassifier | null = null;

  get ready(): boolean {
    return this.#target?.ready ?? false;
  }

  resolve(target: FrameClassifier): void {
    this.#target = target;
  }

  classify(image: Uint8Array, options?: { thumbnail?: boolean }): ReturnType<FrameClassifier['classify']> {
    if (this.#target === null) {
      return Promise.reject(new AppError('ERR_MODEL_NOT_READY', 'the model is still loading; retry when GET /readyz returns 200'));
    }
    return this.#target.classify(image, options);
  }
}
