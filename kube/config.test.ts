import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { KubeConfigError, resolveKubeConfig } from './config';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-kubeconfig-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A kubeconfig file with one cluster/user/context per entry; the first is current. */
function kubeconfig(file: string, entries: { name: string; server: string; namespace?: string }[]): string {
  const p = path.join(dir, file);
  const clusters = entries.map((e) => `- name: ${e.name}\n  cluster:\n    server: ${e.server}`).join('\n');
  const users = entries.map((e) => `- name: ${e.name}-user\n  user:\n    token: t-${e.name}`).join('\n');
  const contexts = entries
    .map(
      (e) =>
        `- name: ${e.name}\n  context:\n    cluster: ${e.name}\n    user: ${e.name}-user${e.namespace ? `\n    namespace: ${e.namespace}` : ''}`,
    )
    .join('\n');
  fs.writeFileSync(
    p,
    `apiVersion: v1\nkind: Config\nclusters:\n${clusters}\nusers:\n${users}\ncontexts:\n${contexts}\ncurrent-context: ${entries[0].name}\n`,
  );
  return p;
}

const a = kubeconfig('a.yaml', [{ name: 'a', server: 'https://a.example:6443', namespace: 'team-a' }]);
const b = kubeconfig('b.yaml', [
  { name: 'b', server: 'https://b.example:6443' },
  { name: 'a', server: 'https://shadowed.example:6443' },
]);
const home = path.join(dir, 'home');
fs.mkdirSync(path.join(home, '.kube'), { recursive: true });
fs.copyFileSync(
  kubeconfig('h.yaml', [{ name: 'home', server: 'https://home.example:6443' }]),
  path.join(home, '.kube', 'config'),
);
const emptyHome = path.join(dir, 'empty-home');
fs.mkdirSync(emptyHome);

describe('kubeconfig resolution, as kubectl does it', () => {
  it('--kubeconfig wins over KUBECONFIG and ~/.kube/config', () => {
    const r = resolveKubeConfig({ kubeconfig: b, env: { KUBECONFIG: a, HOME: home } });
    expect(r.server).toBe('https://b.example:6443');
    expect(r.source).toBe(`kubeconfig ${b}`);
    expect(r.user).toBe('b-user');
  });

  it('KUBECONFIG is a list of files merged in order: the first file wins names and current-context', () => {
    const r = resolveKubeConfig({ env: { KUBECONFIG: [a, b].join(path.delimiter), HOME: home } });
    expect(r.context).toBe('a');
    expect(r.server).toBe('https://a.example:6443');
    expect(r.namespace).toBe('team-a');
    // The second file's own context is reachable with --context.
    const other = resolveKubeConfig({ context: 'b', env: { KUBECONFIG: [a, b].join(path.delimiter) } });
    expect(other.server).toBe('https://b.example:6443');
    expect(other.namespace).toBe('default');
  });

  it('falls back to ~/.kube/config', () => {
    expect(resolveKubeConfig({ env: { HOME: home } }).server).toBe('https://home.example:6443');
  });

  it('then to the pod ServiceAccount (in-cluster), with its namespace', () => {
    const sa = path.join(dir, 'sa');
    fs.mkdirSync(sa, { recursive: true });
    fs.writeFileSync(path.join(sa, 'token'), 'sa-token');
    fs.writeFileSync(path.join(sa, 'ca.crt'), 'not a real CA');
    fs.writeFileSync(path.join(sa, 'namespace'), 'virtkit\n');
    const r = resolveKubeConfig({
      env: {
        HOME: emptyHome,
        KUBERNETES_SERVICE_HOST: '10.0.0.1',
        KUBERNETES_SERVICE_PORT: '443',
        VIRTKIT_SERVICE_ACCOUNT_DIR: sa,
      },
    });
    expect(r.server).toBe('https://10.0.0.1:443');
    expect(r.namespace).toBe('virtkit');
    expect(r.source).toBe(`in-cluster ServiceAccount (${sa})`);
    const ipv6 = resolveKubeConfig({
      env: {
        HOME: emptyHome,
        KUBERNETES_SERVICE_HOST: 'fd00::1',
        KUBERNETES_SERVICE_PORT: '443',
        VIRTKIT_SERVICE_ACCOUNT_DIR: sa,
      },
    });
    expect(ipv6.server).toBe('https://[fd00::1]:443');
  });

  it('-n wins over the context namespace', () => {
    expect(resolveKubeConfig({ kubeconfig: a, namespace: 'other' }).namespace).toBe('other');
  });

  it('says what it tried when nothing is found, and how to fix it', () => {
    expect(() => resolveKubeConfig({ env: { HOME: emptyHome } })).toThrow(KubeConfigError);
    expect(() => resolveKubeConfig({ env: { HOME: emptyHome } })).toThrow(
      /--kubeconfig not given, KUBECONFIG not set, .*empty-home\/\.kube\/config missing, and not in a pod.*virtkit up/,
    );
  });

  it('names a missing file, an unknown context and the contexts there are', () => {
    expect(() => resolveKubeConfig({ kubeconfig: path.join(dir, 'nope.yaml') })).toThrow(
      /kubeconfig .*nope\.yaml \(from --kubeconfig\) does not exist/,
    );
    expect(() =>
      resolveKubeConfig({ env: { KUBECONFIG: `${a}${path.delimiter}${path.join(dir, 'gone.yaml')}` } }),
    ).toThrow(/gone\.yaml \(from KUBECONFIG\) does not exist/);
    expect(() => resolveKubeConfig({ kubeconfig: b, context: 'staging' })).toThrow(
      /context "staging" does not exist; choose one of: b, a/,
    );
  });
});
