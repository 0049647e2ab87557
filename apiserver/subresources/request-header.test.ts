import { execFileSync } from 'child_process';
import { X509Certificate } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  authenticateRequestHeader,
  commonName,
  parsePemBundle,
  requestHeaderConfigFromConfigMap,
  type HeaderValues,
  type RequestHeaderConfig,
} from './request-header';

// Certificates made with openssl, as local mode makes its own (cli/local/pki.ts).
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-reqhdr-'));
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
const CLIENT = 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n';

function openssl(args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

function ca(stem: string): void {
  openssl(
    ['req', '-x509', ...EC, '-keyout', `${stem}.key`, '-out', `${stem}.crt`, '-days', '30']
      .concat(['-subj', `/CN=${stem}`, '-addext', 'basicConstraints=critical,CA:TRUE'])
      .concat(['-addext', 'keyUsage=critical,keyCertSign,cRLSign']),
  );
}

function issue(stem: string, cn: string, by: string, ext = CLIENT): void {
  fs.writeFileSync(path.join(dir, `${stem}.ext`), ext);
  openssl(['req', '-new', ...EC, '-keyout', `${stem}.key`, '-out', `${stem}.csr`, '-subj', `/CN=${cn}`]);
  openssl(
    [
      'x509',
      '-req',
      '-in',
      `${stem}.csr`,
      '-CA',
      `${by}.crt`,
      '-CAkey',
      `${by}.key`,
      '-set_serial',
      '7',
    ].concat(['-days', '30', '-out', `${stem}.crt`, '-extfile', `${stem}.ext`]),
  );
}

const pem = (stem: string): string => fs.readFileSync(path.join(dir, `${stem}.crt`), 'utf8');
const cert = (stem: string): X509Certificate => new X509Certificate(pem(stem));

let config: RequestHeaderConfig;

function configMap(data: Record<string, string>): unknown {
  return { apiVersion: 'v1', kind: 'ConfigMap', data };
}

const GOOD_DATA = (): Record<string, string> => ({
  'client-ca-file': pem('other-ca'),
  'requestheader-client-ca-file': pem('front-proxy-ca'),
  'requestheader-allowed-names': '["front-proxy-client"]',
  'requestheader-username-headers': '["X-Remote-User"]',
  'requestheader-group-headers': '["X-Remote-Group"]',
  'requestheader-extra-headers-prefix': '["X-Remote-Extra-"]',
});

const HEADERS: HeaderValues = {
  'x-remote-user': ['system:serviceaccount:team:editor'],
  'x-remote-group': ['system:serviceaccounts', 'system:authenticated'],
  'x-remote-extra-authentication.kubernetes.io%2fpod-name': ['web-0'],
  'content-type': ['application/json'],
};

beforeAll(() => {
  ca('front-proxy-ca');
  ca('other-ca');
  ca('intermediate-root');
  issue('front-proxy-client', 'front-proxy-client', 'front-proxy-ca');
  issue('wrong-ca-client', 'front-proxy-client', 'other-ca');
  issue('other-name', 'virtkit-admin', 'front-proxy-ca');
  issue('server-only', 'front-proxy-client', 'front-proxy-ca', 'extendedKeyUsage=serverAuth\n');
  issue(
    'intermediate',
    'intermediate',
    'intermediate-root',
    'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n',
  );
  issue('via-intermediate', 'front-proxy-client', 'intermediate');
  config = requestHeaderConfigFromConfigMap(configMap(GOOD_DATA()));
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('the ConfigMap kube-system/extension-apiserver-authentication', () => {
  test('gives the front-proxy CA, the allowed names and the header names', () => {
    expect(config.clientCas.map((c) => commonName(c))).toEqual(['front-proxy-ca']);
    expect(config.allowedNames).toEqual(['front-proxy-client']);
    expect(config.usernameHeaders).toEqual(['X-Remote-User']);
    expect(config.groupHeaders).toEqual(['X-Remote-Group']);
    expect(config.extraHeaderPrefixes).toEqual(['X-Remote-Extra-']);
    expect(config.uidHeaders).toEqual([]);
  });

  test('without requestheader-client-ca-file the aggregation layer is not configured', () => {
    const data = GOOD_DATA();
    delete (data as Record<string, string | undefined>)['requestheader-client-ca-file'];
    expect(() => requestHeaderConfigFromConfigMap(configMap(data))).toThrow(
      /kube-system\/extension-apiserver-authentication has no requestheader-client-ca-file: the API server's aggregation layer is not configured/,
    );
    expect(() => requestHeaderConfigFromConfigMap(undefined)).toThrow(/no requestheader-client-ca-file/);
  });

  test('a value that is not a JSON list of strings is named', () => {
    const data = { ...GOOD_DATA(), 'requestheader-group-headers': 'X-Remote-Group' };
    expect(() => requestHeaderConfigFromConfigMap(configMap(data))).toThrow(
      'requestheader-group-headers is not a JSON list of strings: X-Remote-Group',
    );
    expect(() => parsePemBundle('not pem')).toThrow('no PEM certificate');
  });
});

describe('request-header authentication', () => {
  test('the front proxy certificate and its headers: the user, groups and extra', () => {
    const r = authenticateRequestHeader({
      config,
      peerChain: [cert('front-proxy-client')],
      headers: HEADERS,
    });
    expect(r).toEqual({
      ok: true,
      user: {
        name: 'system:serviceaccount:team:editor',
        groups: ['system:serviceaccounts', 'system:authenticated'],
        extra: { 'authentication.kubernetes.io/pod-name': ['web-0'] },
      },
    });
  });

  test('headers without a client certificate are not believed', () => {
    const r = authenticateRequestHeader({ config, peerChain: [], headers: HEADERS });
    expect(r).toEqual({
      ok: false,
      reason: 'no client certificate: the subresource API is served through the Kubernetes API server only',
    });
  });

  test('a certificate of another CA (even with the right name) is refused', () => {
    const r = authenticateRequestHeader({ config, peerChain: [cert('wrong-ca-client')], headers: HEADERS });
    expect(r).toEqual({ ok: false, reason: 'the client certificate is not signed by the request-header CA' });
    // Presenting the CA itself along does not help: it is not a trusted root.
    const r2 = authenticateRequestHeader({
      config,
      peerChain: [cert('wrong-ca-client'), cert('other-ca')],
      headers: HEADERS,
    });
    expect(r2.ok).toBe(false);
  });

  test('a certificate of the right CA whose common name is not allowed is refused', () => {
    const r = authenticateRequestHeader({ config, peerChain: [cert('other-name')], headers: HEADERS });
    expect(r).toEqual({
      ok: false,
      reason: 'the client certificate\'s common name "virtkit-admin" is not one of the allowed names',
    });
    // No allowed names: any certificate of the CA will do (kube-apiserver's rule).
    const open = { ...config, allowedNames: [] };
    expect(
      authenticateRequestHeader({ config: open, peerChain: [cert('other-name')], headers: HEADERS }).ok,
    ).toBe(true);
  });

  test('a certificate not meant for client authentication, or not valid now, is refused', () => {
    expect(authenticateRequestHeader({ config, peerChain: [cert('server-only')], headers: HEADERS })).toEqual(
      {
        ok: false,
        reason: 'the client certificate is not for client authentication',
      },
    );
    const later = new Date(Date.now() + 365 * 24 * 3600 * 1000);
    const r = authenticateRequestHeader({
      config,
      peerChain: [cert('front-proxy-client')],
      headers: HEADERS,
      now: later,
    });
    expect(r.ok).toBe(false);
    expect((r as { reason: string }).reason).toMatch(/^the client certificate is not valid now/);
  });

  test('a chain through an intermediate the client sends along', () => {
    const roots = { ...config, clientCas: [cert('intermediate-root')] };
    const ok = authenticateRequestHeader({
      config: roots,
      peerChain: [cert('via-intermediate'), cert('intermediate')],
      headers: HEADERS,
    });
    expect(ok.ok).toBe(true);
    const missing = authenticateRequestHeader({
      config: roots,
      peerChain: [cert('via-intermediate')],
      headers: HEADERS,
    });
    expect(missing.ok).toBe(false);
  });

  test('no user header, no configuration: refused with the reason', () => {
    const { 'x-remote-user': _user, ...noUser } = HEADERS;
    expect(
      authenticateRequestHeader({ config, peerChain: [cert('front-proxy-client')], headers: noUser }),
    ).toEqual({
      ok: false,
      reason: 'no user in X-Remote-User',
    });
    expect(
      authenticateRequestHeader({
        config: undefined,
        peerChain: [cert('front-proxy-client')],
        headers: HEADERS,
      }).ok,
    ).toBe(false);
  });

  test('the first non-empty user header wins; a uid header is read when configured', () => {
    const c = { ...config, usernameHeaders: ['X-Remote-User', 'X-Other-User'], uidHeaders: ['X-Remote-Uid'] };
    const r = authenticateRequestHeader({
      config: c,
      peerChain: [cert('front-proxy-client')],
      headers: { 'x-remote-user': [''], 'x-other-user': ['alice'], 'x-remote-uid': ['u-1'] },
    });
    expect(r).toEqual({ ok: true, user: { name: 'alice', uid: 'u-1', groups: [], extra: {} } });
  });
});
