import { allManifests } from './manifests';

const vm = {
  metadata: { name: 'web', namespace: 'prod' },
  spec: {
    dataVolumeTemplates: [
      { metadata: { name: 'web-root' }, spec: { sourceRef: { kind: 'DataSource', name: 'fedora' } } },
    ],
    template: { spec: { volumes: [{ name: 'root', dataVolume: { name: 'web-root' } }] } },
  },
};
const data = (extra: Record<string, string> = {}): Record<string, string> => ({
  'export-name': 'exp',
  internal_host: 'virt-export-exp.prod.svc',
  internal_ca_cm: 'CA',
  'virtualmachine-manifest': JSON.stringify(vm),
  'dv-web-logs': JSON.stringify({ metadata: { name: 'web-logs' }, spec: { storage: {} } }),
  ...extra,
});
const urls = (items: Record<string, unknown>[]): string[] =>
  JSON.stringify(items).match(/https:\/\/[^"]+/g) ?? [];

test("a VM's DataVolume templates and claims point at their own volumes' gzip URLs", () => {
  expect(urls(allManifests(data(), 'internal'))).toEqual([
    'https://virt-export-exp.prod.svc/volumes/web-root/disk.img.gz',
    'https://virt-export-exp.prod.svc/volumes/web-logs/disk.img.gz',
  ]);
});

test("a snapshot export's manifests point at the claims it restored (served-claims)", () => {
  const items = allManifests(
    data({ 'served-claims': JSON.stringify({ 'web-root': 'exp-web-root', 'web-logs': 'exp-web-logs' }) }),
    'internal',
  );
  expect(urls(items)).toEqual([
    'https://virt-export-exp.prod.svc/volumes/exp-web-root/disk.img.gz',
    'https://virt-export-exp.prod.svc/volumes/exp-web-logs/disk.img.gz',
  ]);
  // The VM keeps its own names: a re-import makes web-root and web-logs again.
  expect(items.map((i) => (i.metadata as { name?: string }).name)).toEqual([
    'export-ca-cm-exp',
    'web',
    'web-logs',
  ]);
});

test('served-claims that is not a JSON object is refused by name', () => {
  expect(() => allManifests(data({ 'served-claims': '[1]' }), 'internal')).toThrow(
    "the manifest data's served-claims is not a JSON object",
  );
});
