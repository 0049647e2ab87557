/**
 * The export server's TLS certificate (I/O): a self-signed CA made for this one export, and a
 * serving certificate it signs for the Service's names (`virt-export-<name>`,
 * `.<ns>`, `.<ns>.svc`, `.<ns>.svc.cluster.local`), both P-256, made by Debian's `openssl` as
 * local mode makes its PKI. Keys are only ever files in a fresh 0700 temporary directory (never
 * an argument), read back into memory and the directory removed; the CA's key is thrown away
 * once it signed, so nothing can sign another certificate with it. The CA certificate is the
 * internal link's `cert`.
 */
import { execFile } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export interface IssuedCertificate {
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
}

/** The names a server certificate of Service `service` in `namespace` carries (pure). */
export function serviceDnsNames(service: string, namespace: string): string[] {
  return [
    service,
    `${service}.${namespace}`,
    `${service}.${namespace}.svc`,
    `${service}.${namespace}.svc.cluster.local`,
  ];
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function openssl(args: readonly string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('openssl', [...args], { cwd, timeout: 60_000 }, (err, _stdout, stderr) => {
      if (!err) return resolve();
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      reject(
        new Error(
          missing
            ? "making the export's TLS certificate needs the 'openssl' command (apt-get install openssl)"
            : `openssl ${args[0]} failed making the export's TLS certificate: ${String(stderr).trim().slice(0, 500)}`,
        ),
      );
    });
  });
}

/** Issues a CA and a serving certificate for `service`.`namespace`, valid `days` days. */
export async function issueExportCertificate(
  service: string,
  namespace: string,
  days: number,
): Promise<IssuedCertificate> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-export-cert-'));
  fs.chmodSync(dir, 0o700);
  try {
    const validity = String(Math.max(1, Math.ceil(days)));
    await openssl(
      ['req', '-x509', ...EC, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', validity]
        .concat(['-subj', `/CN=${`virt-export-ca.${service}.${namespace}`.slice(0, 64)}`])
        .concat(['-addext', 'basicConstraints=critical,CA:TRUE'])
        .concat(['-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature']),
      dir,
    );
    const sans = serviceDnsNames(service, namespace)
      .map((n) => `DNS:${n}`)
      .join(',');
    fs.writeFileSync(
      path.join(dir, 'server.ext'),
      `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=${sans}\n`,
      { mode: 0o600 },
    );
    await openssl(
      [
        'req',
        '-new',
        ...EC,
        '-keyout',
        'tls.key',
        '-out',
        'tls.csr',
        '-subj',
        `/CN=${`${service}.${namespace}.svc`.slice(0, 64)}`,
      ],
      dir,
    );
    await openssl(
      ['x509', '-req', '-in', 'tls.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-days', validity]
        .concat(['-set_serial', `0x${randomBytes(16).toString('hex')}`])
        .concat(['-out', 'tls.crt', '-extfile', 'server.ext']),
      dir,
    );
    const read = (f: string): string => fs.readFileSync(path.join(dir, f), 'utf8');
    return { cert: read('tls.crt'), key: read('tls.key'), ca: read('ca.crt') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
