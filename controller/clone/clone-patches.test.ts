import type { VirtualMachineCloneSpec } from '../../api/clone/v1beta1';
import type { VirtualMachine } from '../../api/kubevirt/v1';
import { patchedVm, type SnapshotVm } from '../restore/restored-vm';
import { clonePatches, cloneSpecProblems, keptKeys, pointerToken } from './clone-patches';
import { generatedTargetName } from './names';

const SOURCE = { apiGroup: 'kubevirt.io', kind: 'VirtualMachine', name: 'web' };
const spec = (extra: Partial<VirtualMachineCloneSpec> = {}): VirtualMachineCloneSpec => ({
  source: SOURCE,
  ...extra,
});

/** The VM a snapshot content holds: two interfaces (one with a pinned MAC), firmware with a serial and UUID. */
function sourceVm(): SnapshotVm {
  return {
    metadata: {
      name: 'web',
      namespace: 'prod',
      labels: {
        app: 'web',
        'example.com/team': 'a',
        'example.com/tier': 'front',
        'kubevirt.io/created-by': 'x',
      },
      annotations: {
        'example.com/owner': 'ops',
        'restore.kubevirt.io/lastRestoreUID': 'old-1',
        note: 'n',
      },
    },
    spec: {
      runStrategy: 'Halted',
      template: {
        metadata: { labels: { app: 'web', 'kubevirt.io/size': 'small' }, annotations: { 'a~b/c': 'x' } },
        spec: {
          domain: {
            devices: {
              interfaces: [
                { name: 'default', masquerade: {}, macAddress: '02:00:00:00:00:01' },
                { name: 'data', bridge: {} },
              ],
            },
            firmware: { serial: 'SRC-1', uuid: '5d307ca9-b3ef-428c-8861-06e72d69f223' },
          },
          networks: [
            { name: 'default', pod: {} },
            { name: 'data', multus: { networkName: 'data' } },
          ],
        },
      },
    },
  } as SnapshotVm;
}

const ops = (p: ReturnType<typeof clonePatches>): unknown[] => {
  if ('problems' in p) throw new Error(p.problems.join('; '));
  return p.patches.map((s) => JSON.parse(s) as unknown);
};

/** The patches applied as the restore applies them, to the VM it creates. */
function applied(vm: SnapshotVm, s: VirtualMachineCloneSpec): VirtualMachine {
  const p = clonePatches(vm, s);
  if ('problems' in p) throw new Error(p.problems.join('; '));
  const made = patchedVm(
    { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', ...structuredClone(vm) } as VirtualMachine,
    p.patches,
  );
  if ('problem' in made) throw new Error(made.problem);
  return made.vm;
}

describe('keptKeys (label and annotation filters)', () => {
  const keys = ['app', 'myapp', 'example.com/team', 'example.com/tier', 'kubevirt.io/created-by'];

  test('no filters keep every key; an empty list keeps none', () => {
    expect(keptKeys(keys, undefined)).toEqual(keys);
    expect(keptKeys(keys, [])).toEqual([]);
  });

  test('"*" keeps every key; "prefix*" the keys that start with it; a plain filter the key equal to it', () => {
    expect(keptKeys(keys, ['*'])).toEqual(keys);
    expect(keptKeys(keys, ['example.com/*'])).toEqual(['example.com/team', 'example.com/tier']);
    expect(keptKeys(keys, ['app'])).toEqual(['app']);
    expect(keptKeys(keys, ['app', 'kubevirt.io/*'])).toEqual(['app', 'kubevirt.io/created-by']);
  });

  test('negations win over any plain filter, in whatever order they come', () => {
    expect(keptKeys(keys, ['*', '!example.com/*'])).toEqual(['app', 'myapp', 'kubevirt.io/created-by']);
    expect(keptKeys(keys, ['!example.com/tier', 'example.com/*'])).toEqual(['example.com/team']);
    expect(keptKeys(keys, ['*', '!kubevirt.io/created-by', '!app'])).toEqual([
      'myapp',
      'example.com/team',
      'example.com/tier',
    ]);
  });

  test('negations alone keep nothing (nothing was included)', () => {
    expect(keptKeys(keys, ['!app'])).toEqual([]);
  });
});

describe('cloneSpecProblems', () => {
  test('valid filters and patches have none', () => {
    expect(
      cloneSpecProblems(
        spec({
          labelFilters: ['*', '!kubevirt.io/*', 'a'],
          annotationFilters: ['example.com/*'],
          template: { labelFilters: ['!x*'], annotationFilters: ['*'] },
          patches: ['{"op": "add", "path": "/spec/template/metadata/labels/env", "value": "staging"}'],
        }),
      ),
    ).toEqual([]);
  });

  test('KubeVirt\'s filter rules: "!" only first, "*" only last, never empty or a lone "!"', () => {
    expect(
      cloneSpecProblems(
        spec({
          labelFilters: ['ex*ample'],
          annotationFilters: ['a!b', '!'],
          template: { labelFilters: [''], annotationFilters: ['!*x'] },
        }),
      ),
    ).toEqual([
      'spec.labelFilters[0]: filter "ex*ample" has a "*" before its end; a wildcard "*" may only end a filter, as in "example.com/*"',
      'spec.annotationFilters[0]: filter "a!b" has a "!" after its start; a negation "!" may only begin a filter, as in "!example.com/secret"',
      'spec.annotationFilters[1]: "!" alone is not a filter; write the keys to leave out after it, such as "!example.com/*"',
      'spec.template.labelFilters[0]: an empty filter matches no key; remove it, or write "*" to keep every key',
      'spec.template.annotationFilters[0]: filter "!*x" has a "*" before its end; a wildcard "*" may only end a filter, as in "example.com/*"',
    ]);
  });

  test('a patch outside what the restore may patch', () => {
    expect(
      cloneSpecProblems(spec({ patches: ['{"op": "replace", "path": "/metadata/name", "value": "x"}'] })),
    ).toEqual([
      'spec.patches[0]: path "/metadata/name" is outside what the clone\'s restore may patch; patch the new VM under /spec/..., /metadata/labels/... or /metadata/annotations/...',
    ]);
  });
});

describe('clonePatches', () => {
  test('without options: pinned MACs, serial and UUID removed, nothing else', () => {
    expect(ops(clonePatches(sourceVm(), spec()))).toEqual([
      { op: 'remove', path: '/spec/template/spec/domain/devices/interfaces/0/macAddress' },
      { op: 'remove', path: '/spec/template/spec/domain/firmware/serial' },
      { op: 'remove', path: '/spec/template/spec/domain/firmware/uuid' },
    ]);
  });

  test('a VM that pins nothing gets no patch', () => {
    const vm = sourceVm();
    delete vm.spec!.template.spec!.domain.devices.interfaces![0]!.macAddress;
    delete vm.spec!.template.spec!.domain.firmware;
    expect(ops(clonePatches(vm, spec()))).toEqual([]);
  });

  test('newMacAddresses: each named interface gets its MAC, pinned or not; the others are unpinned', () => {
    expect(
      ops(
        clonePatches(sourceVm(), spec({ newMacAddresses: { data: '02:00:00:00:be:af', default: '' } })),
      ).slice(0, 2),
    ).toEqual([
      { op: 'remove', path: '/spec/template/spec/domain/devices/interfaces/0/macAddress' },
      {
        op: 'add',
        path: '/spec/template/spec/domain/devices/interfaces/1/macAddress',
        value: '02:00:00:00:be:af',
      },
    ]);
    const vm = applied(sourceVm(), spec({ newMacAddresses: { default: '02:00:00:00:00:99' } }));
    expect(vm.spec.template.spec!.domain.devices.interfaces).toEqual([
      { name: 'default', masquerade: {}, macAddress: '02:00:00:00:00:99' },
      { name: 'data', bridge: {} },
    ]);
  });

  test('newMacAddresses naming no interface is refused, naming the field and the interfaces', () => {
    expect(clonePatches(sourceVm(), spec({ newMacAddresses: { eth0: '02:00:00:00:00:02' } }))).toEqual({
      problems: [
        'spec.newMacAddresses.eth0: the source VM prod/web has no interface "eth0" (its interfaces: default, data); key each new MAC address by one of its interface names, or remove the entry',
      ],
    });
  });

  test("newSMBiosSerial: set over the source's, or with a firmware section of its own", () => {
    expect(
      applied(sourceVm(), spec({ newSMBiosSerial: 'NEW-1' })).spec.template.spec!.domain.firmware,
    ).toEqual({
      serial: 'NEW-1',
    });
    const bare = sourceVm();
    delete bare.spec!.template.spec!.domain.firmware;
    expect(ops(clonePatches(bare, spec({ newSMBiosSerial: 'NEW-2' })))).toEqual([
      { op: 'remove', path: '/spec/template/spec/domain/devices/interfaces/0/macAddress' },
      { op: 'add', path: '/spec/template/spec/domain/firmware', value: { serial: 'NEW-2' } },
    ]);
    expect(applied(bare, spec({ newSMBiosSerial: 'NEW-2' })).spec.template.spec!.domain.firmware).toEqual({
      serial: 'NEW-2',
    });
  });

  test('label and annotation filters remove what they leave out (sorted, escaped); lastRestoreUID stays', () => {
    const p = ops(
      clonePatches(
        sourceVm(),
        spec({ labelFilters: ['*', '!example.com/*'], annotationFilters: ['example.com/*'] }),
      ),
    );
    expect(p.slice(2, -1)).toEqual([
      { op: 'remove', path: '/metadata/labels/example.com~1team' },
      { op: 'remove', path: '/metadata/labels/example.com~1tier' },
      { op: 'remove', path: '/metadata/annotations/note' },
    ]);
    const vm = applied(
      sourceVm(),
      spec({ labelFilters: ['*', '!example.com/*'], annotationFilters: ['example.com/*'] }),
    );
    expect(vm.metadata?.labels).toEqual({ app: 'web', 'kubevirt.io/created-by': 'x' });
    expect(vm.metadata?.annotations).toEqual({
      'example.com/owner': 'ops',
      'restore.kubevirt.io/lastRestoreUID': 'old-1',
    });
  });

  test('template filters act on spec.template.metadata', () => {
    const s = spec({ template: { labelFilters: ['app'], annotationFilters: [] } });
    expect(ops(clonePatches(sourceVm(), s)).slice(2, -1)).toEqual([
      { op: 'remove', path: '/spec/template/metadata/labels/kubevirt.io~1size' },
      { op: 'remove', path: '/spec/template/metadata/annotations/a~0b~1c' },
    ]);
    const vm = applied(sourceVm(), s);
    expect(vm.spec.template.metadata).toEqual({ labels: { app: 'web' }, annotations: {} });
  });

  test("the clone's own patches come last, verbatim, and see what the others did", () => {
    const own = '{"op": "add", "path": "/spec/template/spec/domain/firmware/serial", "value": "MINE"}';
    const p = clonePatches(sourceVm(), spec({ newSMBiosSerial: 'NEW', patches: [own] }));
    expect('patches' in p && p.patches[p.patches.length - 1]).toBe(own);
    expect(
      applied(sourceVm(), spec({ newSMBiosSerial: 'NEW', patches: [own] })).spec.template.spec!.domain
        .firmware,
    ).toEqual({ serial: 'MINE' });
  });

  test('pointerToken escapes ~ before /', () => {
    expect(pointerToken('a~/b')).toBe('a~0~1b');
  });
});

describe('generatedTargetName', () => {
  test("KubeVirt's shape, the same for the same clone, another for another", () => {
    const name = generatedTargetName('web', 'uid-1');
    expect(name).toMatch(/^web-clone-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(generatedTargetName('web', 'uid-1')).toBe(name);
    expect(generatedTargetName('web', 'uid-2')).not.toBe(name);
  });

  test('a source name too long for a suffix gives clone-object-<5>', () => {
    const name = generatedTargetName('v'.repeat(245), 'uid-1');
    expect(name).toMatch(/^clone-object-[a-z0-9]{5}$/);
    expect(generatedTargetName('v'.repeat(240), 'uid-1').length).toBeLessThanOrEqual(253);
  });
});
