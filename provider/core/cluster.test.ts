/** The cluster a component reads itself: the default Kubernetes provider's, from the stack's settings. */
import * as fs from 'fs';
import * as pulumi from '@pulumi/pulumi';
import { clusterSettings, connectCluster, kubeconfigFile } from './cluster';

const KUBECONFIG = [
  'apiVersion: v1',
  'kind: Config',
  'clusters: [{name: c, cluster: {server: "https://127.0.0.1:6443"}}]',
  'users: [{name: u, user: {}}]',
  'contexts: [{name: one, context: {cluster: c, user: u, namespace: ctx-ns}}, {name: two, context: {cluster: c, user: u}}]',
  'current-context: one',
  '',
].join('\n');

describe('clusterSettings', () => {
  afterEach(() => pulumi.runtime.setAllConfig({}));

  it("reads the stack's kubernetes:kubeconfig, context and namespace as plain values, leaving out unset ones", () => {
    pulumi.runtime.setAllConfig({ 'kubernetes:kubeconfig': KUBECONFIG, 'kubernetes:context': 'two' }, [
      'kubernetes:kubeconfig',
    ]);
    expect(clusterSettings()).toEqual({ kubeconfig: KUBECONFIG, context: 'two' });
    pulumi.runtime.setAllConfig({});
    expect(clusterSettings()).toEqual({});
  });
});

describe('connectCluster', () => {
  it('connects with the kubeconfig contents, context and namespace, and close() removes the temporary file', () => {
    const { client, close } = connectCluster({ kubeconfig: KUBECONFIG });
    expect(client.namespace).toBe('ctx-ns');
    const file = client.config.source.replace(/^kubeconfig /, '');
    expect(fs.existsSync(file)).toBe(true);
    close();
    expect(fs.existsSync(file)).toBe(false);
    const other = connectCluster({ kubeconfig: KUBECONFIG, context: 'two' });
    expect(other.client.namespace).toBe('default');
    other.close();
    const set = connectCluster({ kubeconfig: KUBECONFIG, namespace: 'stack-ns' });
    expect(set.client.namespace).toBe('stack-ns');
    set.close();
  });
});

describe('kubeconfigFile', () => {
  it('a path is used as it is; contents go to a private file that cleanup removes', () => {
    expect(kubeconfigFile('/etc/k/config').file).toBe('/etc/k/config');
    expect(kubeconfigFile(undefined).file).toBeUndefined();
    const k = kubeconfigFile('apiVersion: v1\nkind: Config\n');
    expect(fs.readFileSync(k.file!, 'utf8')).toContain('kind: Config');
    expect(fs.statSync(k.file!).mode & 0o777).toBe(0o600);
    k.cleanup();
    expect(fs.existsSync(k.file!)).toBe(false);
  });
});
