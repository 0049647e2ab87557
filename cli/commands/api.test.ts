import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { certificatesNamespace, servingSource } from './api';

test('the serving certificate comes from both files, or from --rotate-certificates alone', () => {
  expect(servingSource({ tlsCertFile: 'c', tlsPrivateKeyFile: 'k' })).toBe('files');
  expect(servingSource({ rotateCertificates: true })).toBe('rotate');
  expect(() => servingSource({ tlsCertFile: 'c' })).toThrow(
    'give the serving certificate: --tls-cert-file and --tls-private-key-file together, or --rotate-certificates',
  );
  expect(() => servingSource({})).toThrow(/--rotate-certificates/);
  expect(() => servingSource({ rotateCertificates: true, tlsCertFile: 'c', tlsPrivateKeyFile: 'k' })).toThrow(
    '--rotate-certificates makes and renews the serving certificate itself: drop --tls-cert-file and --tls-private-key-file',
  );
});

test("the certificates' namespace: the flag, else $POD_NAMESPACE, else the service account's", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vk-api-ns-'));
  const sa = path.join(dir, 'namespace');
  try {
    expect(certificatesNamespace('given', { POD_NAMESPACE: 'env' }, sa)).toBe('given');
    expect(certificatesNamespace(undefined, { POD_NAMESPACE: 'env' }, sa)).toBe('env');
    expect(() => certificatesNamespace(undefined, {}, sa)).toThrow(/give --certificates-namespace/);
    fs.writeFileSync(sa, 'virtkit\n');
    expect(certificatesNamespace(undefined, {}, sa)).toBe('virtkit');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
