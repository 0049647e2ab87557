import { ApiObject, Chart, Testing } from 'cdk8s';
import { installObjectKey, renderInstall } from '../../api/install';
import { CertificateMode, VirtkitInstall } from '..';

type Json = Record<string, unknown>;

test('one ApiObject per object of the install, in apply order', () => {
  const chart = Testing.chart();
  const install = new VirtkitInstall(chart, 'virtkit', { featureGates: ['HostDisk'] });
  const synth = Testing.synth(chart) as Json[];
  expect(synth.map(installObjectKey)).toEqual(
    renderInstall({ featureGates: ['HostDisk'] }).map(installObjectKey),
  );
  expect(install.apiObjects).toHaveLength(synth.length);
  expect(install.apiObjects.every((o) => o instanceof ApiObject)).toBe(true);
  expect(install.namespace).toBe('virtkit');
});

test("a chart's namespace does not reach cluster-scoped objects, nor moves virtkit's", () => {
  const chart = new Chart(Testing.app(), 'apps', { namespace: 'apps' });
  new VirtkitInstall(chart, 'virtkit', { namespace: 'vk', certificates: CertificateMode.CERT_MANAGER });
  const synth = Testing.synth(chart) as { kind: string; metadata: { name: string; namespace?: string } }[];
  const namespaceOf = (kind: string, name: string) =>
    synth.find((o) => o.kind === kind && o.metadata.name === name)?.metadata.namespace;
  expect(namespaceOf('CustomResourceDefinition', 'virtualmachines.kubevirt.io')).toBeUndefined();
  expect(namespaceOf('ClusterRole', 'virtkit:controller')).toBeUndefined();
  expect(namespaceOf('Namespace', 'vk')).toBeUndefined();
  expect(namespaceOf('APIService', 'v1.subresources.kubevirt.io')).toBeUndefined();
  expect(namespaceOf('Deployment', 'virtkit-api')).toBe('vk');
  expect(namespaceOf('Certificate', 'virtkit-api')).toBe('vk');
  expect(namespaceOf('RoleBinding', 'virtkit:api:extension-apiserver-authentication-reader')).toBe(
    'kube-system',
  );
  expect(synth.filter((o) => o.metadata.namespace === 'apps')).toEqual([]);
});

test('bad props fail with the construct path, each prop named with its value and the fix', () => {
  const chart = Testing.chart();
  expect(() => new VirtkitInstall(chart, 'virtkit', { apiReplicas: 0, namespace: 'NS' })).toThrow(
    /virtkit: invalid install options \(2 problems\):\n {2}- namespace: "NS" must be a lowercase RFC 1123 label.*\n {2}- apiReplicas: 0 is not a whole number from 1 to 10/,
  );
});
