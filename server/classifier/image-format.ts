/** Image formats the classifier decodes. */
export type AcceptedFormat = 'jpeg' | 'png' | 'webp';

/** Result of looking at an input's first bytes. */
export type SniffResult =
  | { readonly kind: 'accepted'; readonly format: AcceptedFormat }
  | { readonly kind: 'unsupported'; readonly format: string }
  | { readonly kind: 'unknown' };

function startsWith(bytes: Uint8Array, signature: readonly number[], offset = 0): boolean {
  if (bytes.length < offset + signature.length) return false;
  return signature.every((byte, index) => bytes[offset + index] === byte);
}

function ascii(text: string): number[] {
  return Array.from(text, (char) => char.charCodeAt(0));
}

/** Signatures of image formats that are recognized but rejected as unsupported. */
const unsupportedSignatures: ReadonlyArray<{ readonly format: string; readonly signature: readonly number[]; readonly offset?: number }> = [
  { format: 'gif', signature: ascii('GIF87a') },
  { format: 'gif', signature: ascii('GIF89a') },
  { format: 'tiff', signature: [0x49, 0x49, 0x2a, 0x00] },
  { format: 'tiff', signature: [0x4d, 0x4d, 0x00, 0x2a] },
  { format: 'bmp', signature: ascii('BM') },
  { format: 'ico', signature: [0x00, 0x00, 0x01, 0x00] },
  // ISO base media files (HEIC, AVIF): a box size, then 'ftyp'.
  { format: 'heif', signature: ascii('ftyp'), offset: 4 },
  { format: 'jpeg2000', signature: [0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20] },
  { format: 'jxl', signature: [0xff, 0x0a] },
  { format: 'jxl', signature: [0x00, 0x00, 0x00, 0x0c, 0x4a, 0x58, 0x4c, 0x20] },
  { format: 'pdf', signature: ascii('%PDF') },
];

/**
 * Identifies an image format from its signature bytes. Only JPEG, PNG and WebP are accepted.
 * Sniffing first means sharp never parses input that is not one of those three (SVG, for
 * example, would otherwise be rendered).
 */
export function sniffImageFormat(bytes: Uint8Array): SniffResult {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return { kind: 'accepted', format: 'jpeg' };
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return { kind: 'accepted', format: 'png' };
  if (startsWith(bytes, ascii('RIFF')) && startsWith(bytes, ascii('WEBP'), 8)) return { kind: 'accepted', format: 'webp' };

  for (const { format, signature, offset } of unsupportedSignatures) {
    if (startsWith(bytes, signature, offset)) return { kind: 'unsupported', format };
  }
  if (looksLikeSvg(bytes)) return { kind: 'unsupported', format: 'svg' };
  return { kind: 'unknown' };
}

function looksLikeSvg(bytes: Uint8Array): boolean {
  const head = new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(0, 512)).trimStart().toLowerCase();
  return head.startsWith('<svg') || (head.startsWith('<?xml') && head.includes('<svg'));
}
