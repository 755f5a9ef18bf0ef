import { randomBytes } from 'node:crypto';

import { SESSION_ID_PATTERN } from '../protocol.js';

/** Random bytes per generated session id: 128 bits, 22 base64url characters. */
const SESSION_ID_BYTES = 16;

/** Generates an unguessable, URL-safe session id from the operating system's CSPRNG. */
export function generateSessionId(): string {
  return randomBytes(SESSION_ID_BYTES).toString('base64url');
}

export function isValidSessionId(value: unknown): value is string {
  return typeof value === 'string' && SESSION_ID_PATTERN.test(value);
}
