import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  forbiddenPrograms,
  holdsPrivateKey,
  layerProblems,
  privateKeyFiles,
  setidFiles,
  treeBytes,
  walkTree,
} from './inspect';

const BODY = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj';

describe('private keys', () => {
  test.each([
    ['PKCS#8', `-----BEGIN PRIVATE KEY-----\n${BODY}\n-----END PRIVATE KEY-----\n`],
    ['RSA', `-----BEGIN RSA PRIVATE KEY-----\n${BODY}\n`],
    ['EC, CRLF', `-----BEGIN EC PRIVATE KEY-----\r\n${BODY}\r\n`],
    ['OpenSSH', `-----BEGIN OPENSSH PRIVATE KEY-----\n${BODY}\n`],
    ['encrypted PKCS#8', `-----BEGIN ENCRYPTED PRIVATE KEY-----\n${BODY}\n`],
    [
      'legacy encrypted PEM',
      `-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\n${BODY}\n`,
    ],
    ['inside a binary', `\0\0ELF-----BEGIN EC PRIVATE KEY-----${BODY}\0`],
  ])('%s is found', (_what, text) => {
    expect(holdsPrivateKey(text)).toBe(true);
  });

  test.each([
    ['a parser naming the armour', "if (pem.startsWith('-----BEGIN PRIVATE KEY-----')) return parse(pem);"],
    ["file's magic entry", '0 string -----BEGIN\\ OPENSSH\\ PRIVATE\\ KEY-----          OpenSSH private key'],
    ['a public key', `-----BEGIN PUBLIC KEY-----\n${BODY}\n`],
    ['a certificate', `-----BEGIN CERTIFICATE-----\n${BODY}\n`],
  ])('%s is not a key', (_what, text) => {
    expect(holdsPrivateKey(text)).toBe(false);
  });
});

describe('a layer tree', () => {
  let root: string;
  const put = (rel: string, text = 'x', mode = 0o644): void => {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
    fs.chmodSync(path.join(root, rel), mode);
  };
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-inspect-'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  test('a clean tree has no problems and its size counts hard links once', () => {
    put('usr/bin/node', 'x'.repeat(1000), 0o755);
    fs.linkSync(path.join(root, 'usr/bin/node'), path.join(root, 'usr/bin/nodejs'));
    put('usr/share/doc/nodejs/copyright', 'y'.repeat(10));
    fs.symlinkSync('/usr/bin/gcc-12', path.join(root, 'usr/bin/not-a-compiler'));
    expect(layerProblems(root)).toEqual([]);
    expect(treeBytes(walkTree(root))).toBe(1010);
  });

  test('compilers, linkers and package managers are found, dangling links and versioned names too', () => {
    put('usr/bin/gcc-12', '', 0o755);
    fs.symlinkSync('gcc-12', path.join(root, 'usr/bin/gcc'));
    fs.symlinkSync('x86_64-linux-gnu-ld.bfd', path.join(root, 'usr/bin/ld'));
    put('usr/bin/npm', '', 0o755);
    put('opt/virtkit/node_modules/.bin/corepack', '', 0o755);
    put('usr/bin/gcov-dump', '', 0o755);
    expect(forbiddenPrograms(root)).toEqual([
      'opt/virtkit/node_modules/.bin/corepack',
      'usr/bin/gcc',
      'usr/bin/gcc-12',
      'usr/bin/ld',
      'usr/bin/npm',
    ]);
  });

  test('key files and set-user-ID programs are problems; GnuTLS self-test vectors are allowed', () => {
    put('etc/ssh/ssh_host_ed25519_key', `-----BEGIN OPENSSH PRIVATE KEY-----\n${BODY}\n`, 0o600);
    put('usr/lib/x86_64-linux-gnu/libgnutls.so.30.34.3', `\0-----BEGIN EC PRIVATE KEY-----${BODY}`);
    put('usr/bin/su', '#!', 0o4755);
    const entries = walkTree(root);
    expect(privateKeyFiles(root, entries)).toEqual(['etc/ssh/ssh_host_ed25519_key']);
    expect(setidFiles(entries)).toEqual(['usr/bin/su']);
    expect(layerProblems(root)).toEqual([
      'private keys: etc/ssh/ssh_host_ed25519_key',
      'set-user-ID or set-group-ID files: usr/bin/su',
    ]);
  });
});
