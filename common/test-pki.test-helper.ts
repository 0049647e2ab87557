/**
 * Certificates for unit tests of the servers that check TLS client certificates themselves
 * (the node API, its client in `virtkit api`), made with openssl as local mode makes its own
 * (cli/local/pki.ts): P-256 keys, CAs and leaves, in a temporary folder.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export class TestPki {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-test-pki-'));

  private openssl(args: string[]): void {
    execFileSync('openssl', args, { cwd: this.dir, stdio: 'pipe' });
  }

  /** A self-signed CA `stem`.crt / `stem`.key. */
  ca(stem: string): this {
    this.openssl(
      ['req', '-x509', ...EC, '-keyout', `${stem}.key`, '-out', `${stem}.crt`, '-days', '30']
        .concat(['-subj', `/CN=${stem}`, '-addext', 'basicConstraints=critical,CA:TRUE'])
        .concat(['-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature']),
    );
    return this;
  }

  /** A leaf `stem` with common name `cn`, signed by the CA `by`: a client, or a server for `sans`. */
  leaf(stem: string, cn: string, by: string, o: { sans?: string[] } = {}): this {
    const ext = o.sans
      ? `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=${o.sans.join(',')}\n`
      : 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n';
    fs.writeFileSync(path.join(this.dir, `${stem}.ext`), ext);
    this.openssl([
      'req',
      '-new',
      ...EC,
      '-keyout',
      `${stem}.key`,
      '-out',
      `${stem}.csr`,
      '-subj',
      `/CN=${cn}`,
    ]);
    this.openssl(
      ['x509', '-req', '-in', `${stem}.csr`, '-CA', `${by}.crt`, '-CAkey', `${by}.key`]
        .concat(['-set_serial', String(Date.now()), '-days', '30', '-out', `${stem}.crt`])
        .concat(['-extfile', `${stem}.ext`]),
    );
    return this;
  }

  file(stem: string, ext: 'crt' | 'key'): string {
    return path.join(this.dir, `${stem}.${ext}`);
  }

  read(stem: string, ext: 'crt' | 'key'): Buffer {
    return fs.readFileSync(this.file(stem, ext));
  }

  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
