import type { IncomingMessage } from 'node:http';

import { AppError } from '../errors.js';

/**
 * Reads a request body into memory, rejecting with ERR_IMAGE_TOO_LARGE as soon as it
 * passes `maxBytes`, so an oversized upload is never buffered whole. A client that
 * disconnects or stalls until the server's request timeout gets ERR_REQUEST_ABORTED.
 */
export async function readBody(request: IncomingMessage, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    throw new AppError(
      'ERR_IMAGE_TOO_LARGE',
      `image rejected: Content-Length ${declared} bytes is over the limit of ${maxBytes} bytes (CATDOG_MAX_IMAGE_BYTES); scale or compress it first`,
    );
  }

  const chunks: Buffer[] = [];
  let received = 0;
  try {
    for await (const chunk of request as AsyncIterable<Buffer>) {
      received += chunk.byteLength;
      if (received > maxBytes) {
        throw new AppError(
          'ERR_IMAGE_TOO_LARGE',
          `image rejected: the body passed the limit of ${maxBytes} bytes (CATDOG_MAX_IMAGE_BYTES); scale or compress it first`,
        );
      }
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new AppError('ERR_REQUEST_ABORTED', `upload aborted after ${received} bytes: the client closed the connection or the request timed out`, {
      cause: error,
    });
  }
  return Buffer.concat(chunks, received);
}
