import { ChecksumFormatError, formatChecksum, parseChecksum } from './checksum';

const sha256 = 'a'.repeat(64);

it('reads <algorithm>:<hex> for sha256, sha512, sha1 and md5', () => {
  expect(parseChecksum(`sha256:${sha256}`)).toEqual({ algorithm: 'sha256', hex: sha256 });
  expect(parseChecksum(`SHA512:${'B'.repeat(128)}`)).toEqual({ algorithm: 'sha512', hex: 'b'.repeat(128) });
  expect(parseChecksum(`md5:${'0'.repeat(32)}`).algorithm).toBe('md5');
  expect(parseChecksum(`sha1:${'f'.repeat(40)}`).algorithm).toBe('sha1');
  expect(formatChecksum(parseChecksum(`sha256:${sha256}`))).toBe(`sha256:${sha256}`);
});

it('refuses a missing algorithm, an unknown one, and a wrong length or digit, saying the form', () => {
  expect(() => parseChecksum(sha256)).toThrow(/has no algorithm; write one of sha256:<64 hex digits>/);
  expect(() => parseChecksum(`crc32:${'0'.repeat(8)}`)).toThrow(/"crc32" is not supported/);
  expect(() => parseChecksum(`sha256:${'a'.repeat(63)}`)).toThrow(/a sha256 sum is 64 hex digits/);
  expect(() => parseChecksum(`sha256:${'g'.repeat(64)}`)).toThrow(ChecksumFormatError);
});
