import { parseImageReference } from '../../common/oci/reference';
import {
  backoffMs,
  credentialsFromSecret,
  endpointsFor,
  parseRegistryMirror,
  pullDecision,
  pullPolicyOf,
} from './policy';

const ref = parseImageReference;
const b64 = (s: string): string => Buffer.from(s).toString('base64');

describe('pull policy', () => {
  it('defaults like Kubernetes: Always for :latest or no tag, IfNotPresent otherwise (and for digests)', () => {
    expect(pullPolicyOf(ref('quay.io/x/y'), undefined)).toBe('Always');
    expect(pullPolicyOf(ref('quay.io/x/y:latest'), '')).toBe('Always');
    expect(pullPolicyOf(ref('quay.io/x/y:40'), undefined)).toBe('IfNotPresent');
    expect(pullPolicyOf(ref(`quay.io/x/y@sha256:${'b'.repeat(64)}`), undefined)).toBe('IfNotPresent');
    expect(pullPolicyOf(ref('quay.io/x/y:latest'), 'Never')).toBe('Never');
    expect(() => pullPolicyOf(ref('quay.io/x/y'), 'Sometimes')).toThrow(/Always, IfNotPresent or Never/);
  });

  it.each([
    ['Always', true, 'resolve'],
    ['Always', false, 'resolve'],
    ['IfNotPresent', true, 'use-cache'],
    ['IfNotPresent', false, 'resolve'],
    ['Never', true, 'use-cache'],
    ['Never', false, 'never-pull'],
  ] as const)('%s with cached=%s: %s', (policy, cached, want) => {
    expect(pullDecision(policy, cached)).toBe(want);
  });
});

describe('registry mirrors', () => {
  it('parses HOST=URL and tries mirrors before the registry', () => {
    const mirrors = [
      parseRegistryMirror('docker.io=http://127.0.0.1:5000/'),
      parseRegistryMirror('quay.io=https://mirror.lan:8443'),
      parseRegistryMirror('index.docker.io=http://127.0.0.1:5001'),
    ];
    expect(mirrors[0]).toEqual({ registry: 'docker.io', endpoint: 'http://127.0.0.1:5000' });
    expect(endpointsFor('docker.io', mirrors)).toEqual([
      'http://127.0.0.1:5000',
      'http://127.0.0.1:5001',
      undefined,
    ]);
    expect(endpointsFor('quay.io', mirrors)).toEqual(['https://mirror.lan:8443', undefined]);
    expect(endpointsFor('ghcr.io', mirrors)).toEqual([undefined]);
  });

  it.each([
    'docker.io',
    'docker.io=',
    '=http://x',
    'docker.io=ftp://x',
    'docker.io=http://x/path',
    'Bad Host=http://x',
  ])('refuses %j naming the flag', (spec) => {
    expect(() => parseRegistryMirror(spec)).toThrow(/--registry-mirror .*HOST=URL/);
  });
});

describe('image pull secrets', () => {
  const secret = (auths: object): Record<string, string> => ({
    '.dockerconfigjson': b64(JSON.stringify({ auths })),
  });

  it('reads auth or username/password for the registry, matching Docker Hub aliases and URLs', () => {
    expect(credentialsFromSecret(secret({ 'quay.io': { auth: b64('me:s3:cret') } }), 'quay.io')).toEqual({
      username: 'me',
      password: 's3:cret',
    });
    expect(
      credentialsFromSecret(
        secret({ 'https://index.docker.io/v1/': { username: 'u', password: 'p' } }),
        'docker.io',
      ),
    ).toEqual({ username: 'u', password: 'p' });
    expect(
      credentialsFromSecret(secret({ 'http://127.0.0.1:5000': { auth: b64('a:b') } }), '127.0.0.1:5000'),
    ).toEqual({ username: 'a', password: 'b' });
    expect(credentialsFromSecret(secret({ 'quay.io': { auth: b64('me:x') } }), 'ghcr.io')).toBeUndefined();
    expect(
      credentialsFromSecret(
        { '.dockercfg': b64(JSON.stringify({ 'quay.io': { auth: b64('old:style') } })) },
        'quay.io',
      ),
    ).toEqual({ username: 'old', password: 'style' });
    expect(credentialsFromSecret({}, 'quay.io')).toBeUndefined();
    expect(() => credentialsFromSecret({ '.dockerconfigjson': b64('not json') }, 'quay.io')).toThrow(
      /docker config JSON/,
    );
  });
});

it('backs off like kubelet: 10 s doubling to 5 minutes', () => {
  expect([1, 2, 3, 6, 20].map((n) => backoffMs(n))).toEqual([10_000, 20_000, 40_000, 300_000, 300_000]);
});
