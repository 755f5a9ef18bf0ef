import type { IncomingMessage } from 'node:http';

import { AppError } from '../errors.js';

/**
 * Reads a request body into memory, rejecting with ERR_IMAGE_TOO_LARGE as soon as it
 * passes `maxBytes`, so an oversized upload is never buffered whole.
 */
export async function readBody(request: IncomingMessage, maxBytes: number): Promise<Uint8Array> {
  const tooLarge = (bytes: number): AppError =>
    new AppError(
      'ERR_IMAGE_TOO_LARGE',
      `image rejected: ${bytes} bytes or more is over the limit of ${maxBytes} bytes (CATDOG_MAX_IMAGE_BYTES); scale or compress it first`,
    );

  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(declared);

  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    received += chunk.byteLength;
    if (received > maxBytes) throw tooLarge(received);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, received);
}
