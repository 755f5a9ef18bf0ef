import type { ResolvedConfig } from '../config.js';
import { AppError } from '../errors.js';

/**
 * Checks an image's byte size against config.maxImageBytes. Runs on the calling thread
 * before a job is queued, and in the CLI before a file is read.
 *
 * @throws AppError ERR_IMAGE_EMPTY or ERR_IMAGE_TOO_LARGE.
 */
export function checkImageBytes(byteLength: number, config: Pick<ResolvedConfig, 'maxImageBytes'>): void {
  if (byteLength === 0) throw new AppError('ERR_IMAGE_EMPTY', 'the image is empty (0 bytes)');
  if (byteLength > config.maxImageBytes) {
    throw new AppError(
      'ERR_IMAGE_TOO_LARGE',
      `the image is ${byteLength} bytes, above the limit of ${config.maxImageBytes} bytes (CATDOG_MAX_IMAGE_BYTES); send a smaller or more compressed image`,
    );
  }
}
