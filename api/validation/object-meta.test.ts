import { validateObject } from './validate';
import { checkLabels, checkAnnotations, ANNOTATIONS_TOTAL_MAX } from './object-meta';
import {
  dns1123LabelProblems,
  dns1123SubdomainProblems,
  labelValueProblems,
  qualifiedNameProblems,
} from './dns-names';
import { formatIssues } from './error';
import { printable, safeJson } from './printable';

const vm = (metadata: Record<string, unknown>) => ({
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachine',
  metadata,
  spec: {
    runStrategy: 'Halted',
    template: {
      spec: {
        domain: {
          memory: { guest: '128Mi' },
          devices: { disks: [{ name: 'root', disk: { bus: 'virtio' } }] },
        },
        volumes: [{ name: 'root', containerDisk: { image: 'example/disk' } }],
      },
    },
  },
});

const dv = (metadata: Record<string, unknown>) => ({
  apiVersion: 'cdi.kubevirt.io/v1beta1',
  kind: 'DataVolume',
  metadata,
  spec: {
    source: { http: { url: 'https://example.org/d.qcow2' } },
    storage: { resources: { requests: { storage: '1Gi' } } },
  },
});

const at = (object: unknown, path: string) => validateObject(object).filter((i) => i.path === path);

describe('Kubernetes name syntaxes', () => {
  it('DNS-1123 labels: lowercase alphanumerics and -, at most 63, alphanumeric at both ends', () => {
    for (const ok of ['a', 'web-1', '0', 'a'.repeat(63)]) expect(dns1123LabelProblems(ok)).toEqual([]);
    for (const bad of ['', 'A', 'a.b', '-a', 'a-', 'a_b', 'a b', 'a'.repeat(64), 'a\nb', '../x'])
      expect(dns1123LabelProblems(bad)).not.toEqual([]);
    expect(dns1123LabelProblems('a'.repeat(64))[0]).toBe('must be no more than 63 characters (it has 64)');
  });

  it('DNS-1123 subdomains: labels joined by dots, at most 253', () => {
    for (const ok of ['a', 'a.b', 'web.example.com', 'a'.repeat(253)])
      expect(dns1123SubdomainProblems(ok)).toEqual([]);
    for (const bad of ['', '.', '..', 'a..b', '.a', 'a.', 'A.b', 'a'.repeat(254), 'a/b'])
      expect(dns1123SubdomainProblems(bad)).not.toEqual([]);
  });

  it('qualified names: optional subdomain prefix, one slash, a name of at most 63', () => {
    for (const ok of ['app', 'App_1.x', 'kubevirt.io/vm', 'a.b/C-d', `${'a'.repeat(253)}/${'b'.repeat(63)}`])
      expect(qualifiedNameProblems(ok)).toEqual([]);
    for (const bad of [
      '',
      '/x',
      'x/',
      'a/b/c',
      'UP/x',
      '-x',
      'x-',
      'x y',
      'a'.repeat(64),
      `${'a'.repeat(254)}/x`,
    ])
      expect(qualifiedNameProblems(bad)).not.toEqual([]);
  });

  it('label values: empty, or at most 63 of letters, digits, -, _ and .', () => {
    for (const ok of ['', 'v', 'My_value.1', 'a'.repeat(63)]) expect(labelValueProblems(ok)).toEqual([]);
    for (const bad of ['-v', 'v-', 'x y', 'a'.repeat(64), 'a/b', 'x\n'])
      expect(labelValueProblems(bad)).not.toEqual([]);
  });
});

describe('object-meta rules in validateObject', () => {
  it('accepts well-formed metadata', () => {
    expect(
      validateObject(
        vm({
          name: 'web-1',
          namespace: 'prod',
          labels: { app: 'web', 'kubevirt.io/domain': 'web-1', empty: '' },
          annotations: { 'example.com/note': 'any text at all, with spaces\nand newlines' },
        }),
      ),
    ).toEqual([]);
  });

  it('gives VMs and VMIs DNS-1123 label names, in KubeVirt words, and other kinds subdomains', () => {
    const [issue] = at(vm({ name: 'web.example.com' }), 'metadata.name');
    expect(issue.message).toContain('"web.example.com" does not conform to the kubernetes DNS_LABEL rules');
    expect(issue.message).toContain("becomes the guest's hostname");
    expect(at(vm({ name: 'a'.repeat(64) }), 'metadata.name')).toHaveLength(1);
    expect(at(dv({ name: 'root.disk' }), 'metadata.name')).toEqual([]);
    expect(at(dv({ name: 'a'.repeat(253) }), 'metadata.name')).toEqual([]);
    expect(at(dv({ name: 'Root' }), 'metadata.name')[0].message).toContain('DNS_SUBDOMAIN');
  });

  it('refuses hostile names, naming the value with its control characters escaped', () => {
    for (const name of ['../../etc', 'x,file=/etc/shadow', 'UPPER', 'a'.repeat(300), 'a\nb', 'a\u0000b', ''])
      expect(at(vm({ name }), 'metadata.name')).toHaveLength(1);
    const [issue] = at(vm({ name: 'a\nb' }), 'metadata.name');
    expect(issue.message).toContain('"a\\nb"');
  });

  it('requires a name or a generateName, and checks the prefix with room for the suffix', () => {
    expect(at(vm({}), 'metadata.name')[0].message).toContain('required field "name" is missing');
    expect(validateObject(vm({ generateName: 'web-' }))).toEqual([]);
    expect(at(vm({ generateName: 'Web-' }), 'metadata.generateName')).toHaveLength(1);
    expect(at(vm({ generateName: 'a'.repeat(59) }), 'metadata.generateName')[0].message).toContain(
      'must be no more than 58 characters',
    );
  });

  it('checks namespaces as DNS-1123 labels, and warns about one on a cluster-scoped kind', () => {
    expect(at(vm({ name: 'web', namespace: '../../etc' }), 'metadata.namespace')[0].message).toContain(
      'namespace "../../etc" does not conform to the kubernetes DNS_LABEL rules',
    );
    expect(at(vm({ name: 'web', namespace: 'a.b' }), 'metadata.namespace')).toHaveLength(1);
    const cluster = {
      apiVersion: 'instancetype.kubevirt.io/v1beta1',
      kind: 'VirtualMachineClusterInstancetype',
      metadata: { name: 'large', namespace: 'default' },
      spec: { cpu: { guest: 2 }, memory: { guest: '2Gi' } },
    };
    expect(validateObject(cluster)).toEqual([
      expect.objectContaining({ path: 'metadata.namespace', severity: 'warning' }),
    ]);
  });

  it('checks label keys and values, and annotation keys and total size, at their JSON path', () => {
    const labels = checkLabels({ ok: 'v', 'a/b/c': 'x y' }, 'metadata.labels');
    expect(labels.map((i) => [i.path, i.rule])).toEqual([
      ['metadata.labels["a/b/c"]', 'meta.label-key'],
      ['metadata.labels["a/b/c"]', 'meta.label-value'],
    ]);
    expect(checkAnnotations({ 'x y': 'v' }, 'metadata.annotations')[0].path).toBe(
      'metadata.annotations["x y"]',
    );
    const fits = { 'example.com/a': 'x'.repeat(ANNOTATIONS_TOTAL_MAX - 'example.com/a'.length) };
    expect(checkAnnotations(fits, 'metadata.annotations')).toEqual([]);
    const over = { 'example.com/a': 'x'.repeat(ANNOTATIONS_TOTAL_MAX) };
    expect(checkAnnotations(over, 'metadata.annotations')[0].message).toContain('more than the 262144 bytes');
  });

  it('checks the metadata a VM embeds: template labels and DataVolume template names', () => {
    const o = vm({ name: 'web' }) as {
      spec: Record<string, unknown> & { template: Record<string, unknown> };
    };
    o.spec.template.metadata = { labels: { 'bad key': 'v' } };
    o.spec.dataVolumeTemplates = [{ metadata: { name: '../x' }, spec: {} }];
    const paths = validateObject(o).map((i) => i.path);
    expect(paths).toContain('spec.template.metadata.labels["bad key"]');
    expect(paths).toContain('spec.dataVolumeTemplates[0].metadata.name');
  });

  it('never throws on odd metadata shapes; the schema names those', () => {
    for (const metadata of [null, 'x', [], { name: 5, labels: [], annotations: 'x' }, { labels: { a: 1 } }])
      expect(() => validateObject(vm(metadata as Record<string, unknown>))).not.toThrow();
  });
});

describe('quantities and counts', () => {
  const vmi = (domain: Record<string, unknown>) => ({
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: { name: 'web' },
    spec: { domain: { devices: {}, ...domain } },
  });

  it('refuses negative, zero (where it makes no sense), infinite and huge quantities', () => {
    const guest = (g: unknown) =>
      at(vmi({ memory: { guest: g } }), 'spec.domain.memory.guest').map((i) => i.message);
    expect(guest('-1Gi')[0]).toContain('quantity "-1Gi" is negative: must be greater than or equal to 0');
    expect(guest(-1)[0]).toContain('is negative');
    expect(guest('0')[0]).toContain('must be greater than 0');
    expect(guest(Infinity)[0]).toContain('must be a finite');
    expect(guest('1e400')[0]).toContain('too large');
    expect(guest('99999Ei')[0]).toContain('too large');
    expect(guest('1Gi')).toEqual([]);
    expect(guest(134217728)).toEqual([]);
  });

  it('refuses non-finite, fractional and out-of-range CPU counts', () => {
    const cores = (c: unknown) =>
      at(vmi({ cpu: { cores: c }, memory: { guest: '1Gi' } }), 'spec.domain.cpu.cores');
    for (const bad of [Infinity, -Infinity, NaN, -1, 2147483648, 1e300, 1.5, '4'])
      expect(cores(bad)).toHaveLength(1);
    expect(cores(2147483648)[0].message).toContain('2147483648 is out of range');
    expect(cores(4)).toEqual([]);
  });
});

describe('printing what an object holds', () => {
  it('escapes control characters, ANSI escapes and bidi overrides', () => {
    expect(printable('a\nb\u0000c\u001b[31md\u202ee\u009b')).toBe('a\\nb\\0c\\x1b[31md\\u202ee\\x9b');
    const text = formatIssues('VirtualMachine \u001b[2J', [
      { path: 'metadata.name', message: 'bad\nline', severity: 'error', rule: 'x' },
    ]);
    expect(text).toBe('VirtualMachine \\x1b[2J is invalid (1 error):\n  - metadata.name: bad\\nline');
  });

  it('writes JSON that parses back to the same value with no raw C1 or separator characters', () => {
    const value = { name: 'a\u009bb\u2028c\u001b' };
    const json = safeJson(value, 2);
    // eslint-disable-next-line no-control-regex
    expect(json).not.toMatch(/[\u0080-\u009f\u2028\u001b]/);
    expect(JSON.parse(json)).toEqual(value);
  });
});
