import { X509Certificate } from 'crypto';
import { issueExportCertificate, serviceDnsNames } from './certificate';

test("the export's certificate is signed by its own CA for the Service's names; the CA key is not returned", async () => {
  const pem = await issueExportCertificate('virt-export-web', 'prod', 1);
  const cert = new X509Certificate(pem.cert);
  const ca = new X509Certificate(pem.ca);
  expect(cert.checkIssued(ca)).toBe(true);
  expect(cert.verify(ca.publicKey)).toBe(true);
  expect(ca.ca).toBe(true);
  for (const n of serviceDnsNames('virt-export-web', 'prod')) expect(cert.checkHost(n)).toBe(n);
  expect(cert.checkHost('other.prod.svc')).toBeUndefined();
  expect(pem.key).toContain('PRIVATE KEY');
  expect(Object.keys(pem).sort()).toEqual(['ca', 'cert', 'key']);
});
