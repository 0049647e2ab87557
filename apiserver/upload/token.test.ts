import { bearerToken, signUploadToken, verifyUploadToken } from './token';

const key = Buffer.alloc(32, 7);
const other = Buffer.alloc(32, 8);
const claim = { namespace: 'ns', name: 'disk' };
const t0 = Date.UTC(2026, 0, 1);

describe('upload tokens', () => {
  it('verify with the key that signed them and name the claim', () => {
    const token = signUploadToken(key, claim, t0);
    const r = verifyUploadToken(key, token, t0 + 1000);
    expect(r).toMatchObject({ ok: true, payload: { namespace: 'ns', name: 'disk', operation: 'Upload' } });
    if (r.ok) expect(r.payload.exp - r.payload.iat).toBe(300);
  });
  it('expire after five minutes (and 10 s of leeway)', () => {
    const token = signUploadToken(key, claim, t0);
    expect(verifyUploadToken(key, token, t0 + 305_000).ok).toBe(true);
    expect(verifyUploadToken(key, token, t0 + 311_000)).toEqual({
      ok: false,
      reason: 'the token has expired',
    });
  });
  it('refuse another key, a tampered payload or signature, and junk', () => {
    const token = signUploadToken(key, claim, t0);
    expect(verifyUploadToken(other, token, t0)).toMatchObject({ ok: false, reason: /signature/ });
    const [p, s] = token.split('.');
    const forged = Buffer.from(Buffer.from(p, 'base64url').toString().replace('"disk"', '"other"')).toString(
      'base64url',
    );
    expect(verifyUploadToken(key, `${forged}.${s}`, t0)).toMatchObject({ ok: false, reason: /signature/ });
    const flipped = `${p}.${s[0] === 'A' ? 'B' : 'A'}${s.slice(1)}`;
    expect(verifyUploadToken(key, flipped, t0).ok).toBe(false);
    for (const junk of ['', 'abc', 'a.b.c', `${p}.`, '../../etc'])
      expect(verifyUploadToken(key, junk, t0).ok).toBe(false);
  });
  it('refuse a short key', () => {
    expect(() => signUploadToken(Buffer.alloc(8), claim)).toThrow(/at least 32 bytes/);
  });
  it('read the Bearer header as CDI does', () => {
    expect(bearerToken('Bearer abc.def')).toBe('abc.def');
    expect(bearerToken('bearer   abc')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});
