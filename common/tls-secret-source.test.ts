import { tlsCredentialsOf } from './tls-secret-source';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

test("a Secret's data gives credentials only once tls.crt, tls.key and ca.crt are all there", () => {
  expect(tlsCredentialsOf({ 'tls.crt': b64('C'), 'tls.key': b64('K'), 'ca.crt': b64('A') })).toEqual({
    cert: Buffer.from('C'),
    key: Buffer.from('K'),
    ca: Buffer.from('A'),
  });
  expect(tlsCredentialsOf({ 'tls.crt': b64('C'), 'tls.key': b64('K') })).toBeUndefined();
  expect(tlsCredentialsOf({ 'tls.crt': b64('C'), 'tls.key': '', 'ca.crt': b64('A') })).toBeUndefined();
  expect(tlsCredentialsOf(undefined)).toBeUndefined();
});
