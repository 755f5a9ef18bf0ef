/** Maximum length of a received string quoted back in an error message, in characters. */
const MAX_QUOTED_LENGTH = 80;

/**
 * Describes a value a client sent, for an error message: strings (cut to 80 characters),
 * numbers and booleans as themselves, anything else as a noun phrase with the right
 * article, e.g. "nothing", "null", "an object", "binary data (12 bytes)".
 */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';

  if (typeof value === 'string') {
    const quoted = JSON.stringify(value.slice(0, MAX_QUOTED_LENGTH));
    return value.length > MAX_QUOTED_LENGTH ? `the string ${quoted} (cut, ${value.length} characters)` : `the string ${quoted}`;
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return `the ${typeof value} ${String(value)}`;

  if (value instanceof Uint8Array) return `binary data (${value.byteLength} bytes)`;
  if (value instanceof ArrayBuffer) return `binary data (${value.byteLength} bytes)`;
  if (Array.isArray(value)) return `an array of ${value.length} ${value.length === 1 ? 'item' : 'items'}`;
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return 'a symbol';
  return 'an object';
}
