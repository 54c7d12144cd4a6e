import { describe, expect, it } from 'vitest';
import { escapeKey, InvalidKeyError, unescapeKey } from '../../../src/lib/storage/table-keys.js';

describe('table keys', () => {
  it.each([
    ['a/b', 'a%2Fb'],
    ['a\\b', 'a%5Cb'],
    ['#1', '%231'],
    ['why?', 'why%3F'],
    ['100%', '100%25'],
    ['tab\there', 'tab%09here'],
    ['\u0085next-line', '%C2%85next-line'],
  ])('escapes %j as %j', (key, escaped) => {
    expect(escapeKey(key)).toBe(escaped);
    expect(unescapeKey(escaped)).toBe(key);
  });

  it('leaves ordinary keys, including GUIDs and non-ASCII letters, untouched', () => {
    for (const key of ['3f2504e0-4f89-11d3-9a0c-0305e82c3301', 'user@contoso.com', 'Zoë Ørsted']) {
      expect(escapeKey(key)).toBe(key);
    }
  });

  it('round-trips every forbidden character', () => {
    const key = `${Array.from({ length: 0xa0 }, (_, code) => String.fromCharCode(code)).join('')}/\\#?%`;
    expect(unescapeKey(escapeKey(key))).toBe(key);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting none survive escaping
    expect(escapeKey(key)).not.toMatch(/[/\\#?\u0000-\u001f\u007f-\u009f]/);
  });

  it('refuses a key longer than 1 KiB once escaped', () => {
    expect(() => escapeKey('a'.repeat(1024))).not.toThrow();
    expect(() => escapeKey('/'.repeat(342))).toThrow(InvalidKeyError);
  });
});
