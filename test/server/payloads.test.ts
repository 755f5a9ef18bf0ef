import { describe, expect, it } from 'vitest';

import { describeValue } from '../../server/app/describe-value.js';
import { parseFrame, parseHistoryRequest, parseJoinRequest, parseName } from '../../server/app/payloads.js';
import { AppError } from '../../server/errors.js';

const SESSION_ID = 'A'.repeat(22);

/** Runs `parse` and returns the AppError it throws. */
function rejection(parse: () => unknown): AppError {
  try {
    parse();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected the payload to be rejected');
}

describe('describeValue', () => {
  it('names each kind of value', () => {
    const cases: Array<[unknown, string]> = [
      [undefined, 'nothing'],
      [null, 'null'],
      ['abc', 'the string "abc"'],
      [42, 'the number 42'],
      [true, 'the boolean true'],
      [{ a: 1 }, 'an object'],
      [[1, 2], 'an array of 2 items'],
      [[1], 'an array of 1 item'],
      [Buffer.from([1, 2, 3]), 'binary data (3 bytes)'],
      [new ArrayBuffer(4), 'binary data (4 bytes)'],
      [() => 1, 'a function'],
    ];
    for (const [value, expected] of cases) expect(describeValue(value)).toBe(expected);
  });

  it('cuts long strings', () => {
    expect(describeValue('x'.repeat(200))).toBe(`the string "${'x'.repeat(80)}" (cut, 200 characters)`);
  });
});

describe('payload messages', () => {
  it('use articles and name the value', () => {
    expect(rejection(() => parseFrame(undefined)).message).toContain('got nothing;');
    expect(rejection(() => parseJoinRequest({ sessionId: SESSION_ID, role: 'viewer', name: {} }, 10)).message).toContain('got an object');
    expect(rejection(() => parseHistoryRequest('all', 10)).message).toContain('got the string "all"');

    for (const message of [
      rejection(() => parseFrame(undefined)).message,
      rejection(() => parseJoinRequest(undefined, 10)).message,
      rejection(() => parseJoinRequest({ sessionId: 7, role: 'viewer' }, 10)).message,
    ]) {
      expect(message).not.toMatch(/\ba (undefined|object|number)\b/);
    }
  });

  it('accept get-history without a payload', () => {
    expect(parseHistoryRequest(undefined, 10)).toEqual({ limit: 10 });
    expect(parseHistoryRequest(null, 10)).toEqual({ limit: 10 });
  });

  it('reject a binary session id as a payload error', () => {
    const error = rejection(() => parseJoinRequest({ sessionId: Buffer.from(SESSION_ID), role: 'viewer' }, 10));
    expect(error.code).toBe('ERR_INVALID_PAYLOAD');
    expect(error.message).toContain('binary data (22 bytes)');
  });

  it('tell API clients how to create a session', () => {
    const error = rejection(() => parseJoinRequest({ sessionId: 'short', role: 'viewer' }, 10));
    expect(error.code).toBe('ERR_INVALID_SESSION_ID');
    expect(error.message).toContain('POST /api/sessions');
  });
});

describe('parseName', () => {
  it('removes unsafe characters', () => {
    const cases: Array<[string, string]> = [
      ['\u001b[31mRed\u001b[0m cat', 'Red cat'],
      ['\u001b]0;pwned\u0007Tab', 'Tab'],
      ['abc\u202edcba', 'abcdcba'],
      ['\u2066isolated\u2069', 'isolated'],
      ['tab\tand\u0000null', 'tabandnull'],
      ['  spaced  ', 'spaced'],
    ];
    for (const [raw, expected] of cases) expect(parseName(raw), JSON.stringify(raw)).toBe(expected);
  });

  it('truncates to 40 characters', () => {
    expect(parseName('n'.repeat(50))).toBe('n'.repeat(40));
    expect(Array.from(parseName('🐱'.repeat(50)) ?? '')).toHaveLength(40);
  });

  it('falls back when nothing is left', () => {
    expect(parseName('\u202e\u001b[0m')).toBeUndefined();
  });
});
