import type { VirtualMachine } from '../../api/kubevirt/v1';
import {
  latestStartRevision,
  restartRequired,
  specOfStartRevision,
  staleStartRevisions,
  startRevision,
  startRevisionName,
} from './start-revision';

function vm(spec: Partial<VirtualMachine['spec']> = {}, generation = 4): VirtualMachine {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name: 'web', namespace: 'ns', uid: 'vm-uid', generation },
    spec: {
      runStrategy: 'Always',
      instancetype: { name: 'u1.small' },
      template: { spec: { domain: { devices: {} } } },
      ...spec,
    },
    status: {
      instancetypeRef: {
        name: 'u1.small',
        kind: 'VirtualMachineClusterInstancetype',
        controllerRevisionRef: { name: 'web-u1.small-v1beta1-it-uid-1' },
      },
    },
  };
}

const small = { instancetype: { cpu: { guest: 1 }, memory: { guest: '2Gi' } } };
const large = { instancetype: { cpu: { guest: 4 }, memory: { guest: '8Gi' } } };

describe('start revisions (KubeVirt revision-start-vm-<uid>-<generation>)', () => {
  test('hold the VM spec with the revision names status recorded, at the VM generation', () => {
    const r = startRevision(vm());
    expect(r.metadata?.name).toBe('revision-start-vm-vm-uid-4');
    expect(r.revision).toBe(4);
    expect(r.metadata?.ownerReferences?.[0]).toMatchObject({
      kind: 'VirtualMachine',
      uid: 'vm-uid',
      controller: true,
    });
    expect(specOfStartRevision(r)?.instancetype).toEqual({
      name: 'u1.small',
      revisionName: 'web-u1.small-v1beta1-it-uid-1',
    });
  });

  test('the latest of the VM is found, the older ones are stale, other VMs are ignored', () => {
    const revs = [2, 7, 5].map((g) => ({ metadata: { name: startRevisionName('vm-uid', g) } }));
    revs.push({ metadata: { name: startRevisionName('other-uid', 9) } });
    expect(latestStartRevision(vm(), revs)?.metadata?.name).toBe('revision-start-vm-vm-uid-7');
    expect(staleStartRevisions(vm(), revs, 7)).toEqual([
      'revision-start-vm-vm-uid-2',
      'revision-start-vm-vm-uid-5',
    ]);
  });
});

describe('RestartRequired', () => {
  const started = startRevision(vm()).data as { spec: VirtualMachine['spec'] };

  test('nothing changed, or only the run strategy: no restart', () => {
    expect(restartRequired(started.spec, small, vm(), small)).toBe(false);
    expect(restartRequired(started.spec, small, vm({ runStrategy: 'Halted' }, 5), small)).toBe(false);
  });

  test('template metadata alone needs no restart (as KubeVirt compares template.spec)', () => {
    const now = vm({ template: { metadata: { labels: { a: 'b' } }, spec: { domain: { devices: {} } } } });
    expect(restartRequired(started.spec, small, now, small)).toBe(false);
  });

  test('a template spec change needs a restart', () => {
    const now = vm({ template: { spec: { domain: { devices: { autoattachSerialConsole: false } } } } }, 5);
    expect(restartRequired(started.spec, small, now, small)).toBe(true);
  });

  test('another instancetype with other sizes needs a restart; one with the same spec does not', () => {
    const now = vm({ instancetype: { name: 'u1.large' } }, 5);
    expect(restartRequired(started.spec, small, now, large)).toBe(true);
    expect(restartRequired(started.spec, small, now, small)).toBe(false);
  });

  test('a template that no longer expands (a conflict) leaves the condition as it is', () => {
    const now = vm({ template: { spec: { domain: { devices: {}, cpu: { sockets: 2 } } } } }, 5);
    expect(restartRequired(started.spec, small, now, small)).toBeUndefined();
  });
});
