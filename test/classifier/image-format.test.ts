import { describe, expect, it } from 'vitest';

import { sniffImageFormat } from '../../server/classifier/image-format.js';

const bytes = (...values: number[]) => Uint8Array.from(values);
const text = (value: string) => new TextEncoder().encode(value);

describe('sniffImageFormat', () => {
  it.each([
    ['jpeg', bytes(0xff, 0xd8, 0xff, 0xe0)],
    ['png', bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00)],
    ['webp', text('RIFF\x10\x00\x00\x00WEBPVP8 ')],
  ])('accepts %s', (format, input) => {
    expect(sniffImageFormat(input)).toEqual({ kind: 'accepted', format });
  });

  it.each([
    ['gif', text('GIF89a\x01\x00')],
    ['tiff', bytes(0x49, 0x49, 0x2a, 0x00, 0x08)],
    ['bmp', text('BM\x00\x00')],
    ['heif', text('\x00\x00\x00\x1cftypavif')],
    ['pdf', text('%PDF-1.7')],
    ['svg', text('  <svg xmlns="http://www.w3.org/2000/svg"></svg>')],
    ['svg', text('<?xml version="1.0"?>\n<svg></svg>')],
  ])('recognizes %s as unsupported', (format, input) => {
    expect(sniffImageFormat(input)).toEqual({ kind: 'unsupported', format });
  });

  it.each([
    ['empty input', bytes()],
    ['a truncated PNG signature', bytes(0x89, 0x50, 0x4e)],
    ['RIFF audio', text('RIFF\x10\x00\x00\x00WAVEfmt ')],
    ['plain text', text('hello')],
  ])('does not recognize %s', (_name, input) => {
    expect(sniffImageFormat(input)).toEqual({ kind: 'unknown' });
  });
});
