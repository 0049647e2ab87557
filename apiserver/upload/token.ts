/**
 * Upload tokens (pure): what an UploadTokenRequest answers and the upload proxy checks. CDI's
 * token is a JWT signed with an RSA key only its API server holds, naming the operation, the
 * claim and its namespace, valid for five minutes. virtkit's is the same promise with one key
 * for both ends (the same process issues and checks it): `<payload>.<mac>`, both base64url, the
 * payload JSON, the mac HMAC-SHA256 over the payload's text with a 32-byte key. Tokens are never
 * logged; a refusal says why without echoing the token.
 */
import { createHmac, timingSafeEqual } from 'crypto';
import { UPLOAD_TOKEN_LEEWAY_SECONDS, UPLOAD_TOKEN_LIFETIME_SECONDS } from '../../api/cdi/upload-api';

/** CDI's issuer name for upload tokens. */
export const UPLOAD_TOKEN_ISSUER = 'cdi-apiserver';
export const UPLOAD_OPERATION = 'Upload';
export const TOKEN_RESOURCE = 'persistentvolumeclaims';
/** The least key length accepted. */
export const MIN_KEY_BYTES = 32;

export interface UploadTokenPayload {
  readonly iss: string;
  readonly operation: string;
  readonly namespace: string;
  readonly name: string;
  readonly resource: string;
  /** Seconds since the epoch. */
  readonly iat: number;
  readonly exp: number;
}

export type TokenCheck =
  | { readonly ok: true; readonly payload: UploadTokenPayload }
  | { readonly ok: false; readonly reason: string };

const b64url = (b: Buffer): string => b.toString('base64url');

function mac(key: Buffer, text: string): Buffer {
  return createHmac('sha256', key).update(text).digest();
}

function checkKey(key: Buffer): void {
  if (key.length < MIN_KEY_BYTES)
    throw new Error(`the upload token key must be at least ${MIN_KEY_BYTES} bytes`);
}

/** A token for uploading to claim `namespace/name`, valid for CDI's five minutes from `nowMs`. */
export function signUploadToken(
  key: Buffer,
  claim: { readonly namespace: string; readonly name: string },
  nowMs = Date.now(),
  lifetimeSeconds = UPLOAD_TOKEN_LIFETIME_SECONDS,
): string {
  checkKey(key);
  const iat = Math.floor(nowMs / 1000);
  const payload: UploadTokenPayload = {
    iss: UPLOAD_TOKEN_ISSUER,
    operation: UPLOAD_OPERATION,
    namespace: claim.namespace,
    name: claim.name,
    resource: TOKEN_RESOURCE,
    iat,
    exp: iat + lifetimeSeconds,
  };
  const text = b64url(Buffer.from(JSON.stringify(payload)));
  return `${text}.${b64url(mac(key, text))}`;
}

const TOKEN = /^([A-Za-z0-9_-]{1,4096})\.([A-Za-z0-9_-]{43})$/;

/** Checks a token's form, signature, issuer, operation and expiry (CDI's 10 s leeway). */
export function verifyUploadToken(key: Buffer, token: string, nowMs = Date.now()): TokenCheck {
  checkKey(key);
  const m = TOKEN.exec(token);
  if (!m) return { ok: false, reason: 'the token is malformed' };
  const [, text, sig] = m;
  const expected = mac(key, text);
  const given = Buffer.from(sig, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: 'the token signature is invalid' };
  let p: Partial<UploadTokenPayload>;
  try {
    p = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Partial<UploadTokenPayload>;
  } catch {
    return { ok: false, reason: 'the token payload is not JSON' };
  }
  if (
    p.iss !== UPLOAD_TOKEN_ISSUER ||
    p.operation !== UPLOAD_OPERATION ||
    p.resource !== TOKEN_RESOURCE ||
    typeof p.namespace !== 'string' ||
    !p.namespace ||
    typeof p.name !== 'string' ||
    !p.name ||
    typeof p.exp !== 'number' ||
    typeof p.iat !== 'number'
  )
    return { ok: false, reason: 'the token is not an upload token for a PersistentVolumeClaim' };
  const now = Math.floor(nowMs / 1000);
  if (now > p.exp + UPLOAD_TOKEN_LEEWAY_SECONDS) return { ok: false, reason: 'the token has expired' };
  if (p.iat > now + UPLOAD_TOKEN_LEEWAY_SECONDS) return { ok: false, reason: 'the token is not valid yet' };
  return { ok: true, payload: p as UploadTokenPayload };
}

/** The token of an `Authorization: Bearer <token>` header (CDI's accepted characters), or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer\s+([A-Za-z0-9\-._~+/]+=*)$/i.exec(header ?? '');
  return m?.[1];
}
