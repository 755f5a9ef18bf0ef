/** Maximum length of the decoder detail in a client-facing message, in characters. */
const MAX_DETAIL_CHARS = 120;

// sharp prefixes some failures with its own sentence, and libvips prefixes each decoder
// line with the loader's name (VipsJpeg, VipsForeignLoad...). Neither helps a client.
const SHARP_PREFIX = /^Input (buffer|file) (has corrupt header|contains unsupported image format):\s*/i;
const LOADER_PREFIX = /^Vips\w*:\s*/;

/**
 * Condenses a sharp or libvips error into one short line for clients: prefixes removed,
 * repeated lines dropped, the rest joined with "; " and cut at MAX_DETAIL_CHARS. libvips
 * often reports the same decoder warning several times, one per line, and a client
 * message must stay on one line. The full text belongs in the server's debug log.
 */
export function summarizeDecoderError(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);

  const seen = new Set<string>();
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim().replace(SHARP_PREFIX, '').replace(LOADER_PREFIX, '').trim();
    if (line !== '') seen.add(line);
  }

  const detail = [...seen].join('; ');
  if (detail.length <= MAX_DETAIL_CHARS) return detail;
  return `${detail.slice(0, MAX_DETAIL_CHARS - 1).trimEnd()}…`;
}
