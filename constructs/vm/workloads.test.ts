import { JsonPatch, Testing } from 'cdk8s';
import type {
  VirtualMachineInstance as VmiManifest,
  VirtualMachineInstanceReplicaSet as RsManifest,
} from '../../api/kubevirt/v1';
import type { VirtualMachinePool as PoolManifest } from '../../api/pool/v1beta1';
import { validateObject } from '../../api/validation/validate';
import {
  DataVolumeTemplate,
  Disk,
  InstancetypeRef,
  RunStrategy,
  VirtualMachineInstance,
  VirtualMachineInstanceReplicaSet,
  VirtualMachinePool,
} from '.';
import { synthError, synthOne } from './test-support';

const ROOT = { name: 'root', source: Disk.containerDisk('quay.io/containerdisks/fedora:40') };

describe('VirtualMachineInstance', () => {
  test('renders the VMI spec directly; template metadata lands on the VMI', () => {
    const chart = Testing.chart();
    const vmi = new VirtualMachineInstance(chart, 'vmi', {
      name: 'probe',
      memory: '512Mi',
      disks: [ROOT],
      templateLabels: { a: 'b' },
    });
    vmi.addPodNetwork();
    vmi.addTemplateAnnotation('x', 'y');
    const m = synthOne<VmiManifest>(chart);
    expect(m.kind).toBe('VirtualMachineInstance');
    expect(m.metadata).toEqual({ name: 'probe', labels: { a: 'b' }, annotations: { x: 'y' } });
    expect(m.spec.domain.memory).toEqual({ guest: '512Mi' });
    expect(m.spec.networks).toEqual([{ name: 'default', pod: {} }]);
    expect(validateObject(m)).toEqual([]);
    expect(Testing.synth(chart)).toMatchSnapshot();
  });

  test('an owned DataVolume is reported: a VMI cannot own one', () => {
    const chart = Testing.chart();
    new VirtualMachineInstance(chart, 'vmi', {
      memory: '1Gi',
      disks: [{ name: 'd', source: Disk.dataVolume(DataVolumeTemplate.blank({ size: '1Gi' })) }],
    });
    expect(synthError(chart)).toContain(
      'test/vmi: disk "d" uses Disk.dataVolume(...), but a VirtualMachineInstance cannot own DataVolume templates',
    );
  });

  test('api/ rules surface with the construct path', () => {
    const chart = Testing.chart();
    new VirtualMachineInstance(chart, 'vmi', { disks: [ROOT] });
    expect(synthError(chart)).toContain('test/vmi: spec.domain.memory: no memory requested');
  });
});

describe('VirtualMachineInstanceReplicaSet', () => {
  test('replicas, default selector on the template, shared template rendering', () => {
    const chart = Testing.chart();
    const rs = new VirtualMachineInstanceReplicaSet(chart, 'rs', {
      name: 'workers',
      replicas: 3,
      memory: '1Gi',
      disks: [ROOT],
    });
    rs.addPodNetwork();
    const m = synthOne<RsManifest>(chart);
    expect(m.spec.replicas).toBe(3);
    expect(m.spec.selector).toEqual({ matchLabels: { 'kubevirt.io/vmReplicaSet': 'workers' } });
    expect(m.spec.template.metadata).toEqual({ labels: { 'kubevirt.io/vmReplicaSet': 'workers' } });
    expect(m.spec.template.spec!.domain.devices.interfaces).toEqual([{ name: 'default', masquerade: {} }]);
    expect(validateObject(m)).toEqual([]);
    expect(Testing.synth(chart)).toMatchSnapshot();
  });

  test('a custom selector', () => {
    const chart = Testing.chart();
    new VirtualMachineInstanceReplicaSet(chart, 'rs', {
      selector: { app: 'w' },
      paused: true,
      memory: '1Gi',
      disks: [ROOT],
    });
    const m = synthOne<RsManifest>(chart);
    expect(m.spec.selector).toEqual({ matchLabels: { app: 'w' } });
    expect(m.spec.paused).toBe(true);
    expect(m.spec.template.metadata).toEqual({ labels: { app: 'w' } });
  });

  test('an owned DataVolume is reported', () => {
    const chart = Testing.chart();
    new VirtualMachineInstanceReplicaSet(chart, 'rs', {
      memory: '1Gi',
      disks: [{ name: 'd', source: Disk.dataVolume(DataVolumeTemplate.blank({ size: '1Gi' })) }],
    });
    expect(synthError(chart)).toContain('cannot own DataVolume templates');
  });
});

describe('VirtualMachinePool', () => {
  function pool(props: ConstructorParameters<typeof VirtualMachinePool>[2] = {}) {
    const chart = Testing.chart();
    const p = new VirtualMachinePool(chart, 'pool', {
      name: 'web',
      replicas: 3,
      instancetype: InstancetypeRef.cluster('u1.small'),
      disks: [
        {
          name: 'root',
          source: Disk.dataVolume(
            DataVolumeTemplate.registry('quay.io/containerdisks/fedora:40', { size: '10Gi' }),
          ),
          bootOrder: 1,
        },
      ],
      ...props,
    });
    return { chart, p };
  }

  test('VM template with run strategy, instancetype, DataVolume templates and selector labels', () => {
    const { chart, p } = pool({
      vmLabels: { tier: 'web' },
      nameGeneration: { appendIndexToSecretRefs: true },
    });
    p.addPodNetwork();
    p.addVmAnnotation('a', 'b');
    const m = synthOne<PoolManifest>(chart);
    expect(m.spec.replicas).toBe(3);
    expect(m.spec.selector).toEqual({ matchLabels: { 'kubevirt.io/vmpool': 'web' } });
    expect(m.spec.nameGeneration).toEqual({ appendIndexToSecretRefs: true });
    const vmt = m.spec.virtualMachineTemplate;
    expect(vmt.metadata).toEqual({
      labels: { tier: 'web', 'kubevirt.io/vmpool': 'web' },
      annotations: { a: 'b' },
    });
    expect(vmt.spec!.runStrategy).toBe('Always');
    expect(vmt.spec!.instancetype).toEqual({ name: 'u1.small', kind: 'VirtualMachineClusterInstancetype' });
    expect(vmt.spec!.dataVolumeTemplates![0].metadata).toEqual({ name: 'web-root' });
    expect(vmt.spec!.template.metadata).toEqual({ labels: { 'kubevirt.io/vmpool': 'web' } });
    expect(p.instancetypeName).toBe('u1.small');
    expect(validateObject(m)).toEqual([]);
    expect(Testing.synth(chart)).toMatchSnapshot();
  });

  test('run strategy is configurable', () => {
    const { chart } = pool({ runStrategy: RunStrategy.MANUAL });
    expect(synthOne<PoolManifest>(chart).spec.virtualMachineTemplate.spec!.runStrategy).toBe('Manual');
  });

  test('the member VM spec gets the VirtualMachine rules (instancetype conflict)', () => {
    const { chart } = pool({ memory: '2Gi' });
    expect(synthError(chart)).toContain(
      'test/pool: spec.virtualMachineTemplate.spec.template.spec.domain.memory.guest: VM field(s) spec.virtualMachineTemplate.spec.template.spec.domain.memory.guest conflicts with selected instance type',
    );
  });

  test("a selector that does not match the member labels is the pool rule's error", () => {
    const { chart, p } = pool();
    p.apiObject.addJsonPatch(JsonPatch.replace('/spec/selector/matchLabels', { other: 'x' }));
    expect(synthError(chart)).toContain('test/pool: spec.selector');
  });
});
