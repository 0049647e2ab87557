import type { DataVolume } from '../../api/cdi/v1beta1';
import type { VirtualMachineInstance } from '../../api/kubevirt/v1';
import { dataVolumeState, provisioningMessage } from './datavolumes';
import { ephemeralPodName, isEphemeralPod, renderEphemeralPod } from './ephemeral-pod';
import { launcherPodName, renderLauncherPod } from './launcher-pod';

const vmi = {
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachineInstance',
  metadata: { name: 'vm1', namespace: 'ns', uid: 'vmi-uid' },
  spec: {
    nodeSelector: { zone: 'a' },
    domain: {
      memory: { guest: '64Mi' },
      devices: {
        disks: [
          { name: 'root', disk: {} },
          { name: 'data', disk: {} },
        ],
      },
    },
    volumes: [
      { name: 'root', dataVolume: { name: 'root-dv' } },
      { name: 'data', dataVolume: { name: 'data-dv' } },
    ],
  },
} as unknown as VirtualMachineInstance;

const dv = (phase: string): DataVolume =>
  ({
    apiVersion: 'cdi.kubevirt.io/v1beta1',
    kind: 'DataVolume',
    metadata: {},
    spec: {},
    status: { phase },
  }) as DataVolume;

describe('a VMI and its DataVolumes', () => {
  test('ready only when all Succeeded; WFFC ones listed; a missing one named in the condition', () => {
    const none = () => false;
    expect(dataVolumeState(vmi, () => dv('Succeeded'), none).ready).toBe(true);
    const s = dataVolumeState(vmi, (n) => (n === 'root-dv' ? dv('WaitForFirstConsumer') : undefined), none);
    expect(s).toMatchObject({ ready: false, missing: ['data-dv'], waitingForConsumer: ['root-dv'] });
    expect(provisioningMessage(vmi, s)).toMatch(
      /DataVolume ns\/data-dv does not exist .*; DataVolume ns\/root-dv waits for its first consumer/,
    );
    // A garbage-collected DataVolume whose claim is there counts as done.
    expect(
      dataVolumeState(
        vmi,
        () => undefined,
        () => true,
      ).ready,
    ).toBe(true);
    const plain = { ...vmi, spec: { ...vmi.spec, volumes: [] } } as VirtualMachineInstance;
    expect(dataVolumeState(plain, () => undefined, none).ready).toBeUndefined();
  });

  test('the ephemeral pod is the launcher pod under another name, annotated, whose container ends at once', () => {
    const launcher = renderLauncherPod(vmi, { overheadBytes: 1, useEmulation: false });
    const eph = renderEphemeralPod(vmi, { overheadBytes: 1, useEmulation: false });
    expect(eph.metadata.name).toBe(ephemeralPodName(vmi));
    expect(eph.metadata.name).not.toBe(launcherPodName(vmi));
    expect(eph.metadata.annotations['kubevirt.io/ephemeral-provisioning']).toBe('true');
    // Same volumes, resources and placement (the scheduler binds the claims for that pod); on a
    // kubelet node its container prints the version and ends: no launcher, no VM.
    type Spec = { containers: Record<string, unknown>[] };
    const [ec, lc] = [(eph.spec as Spec).containers[0]!, (launcher.spec as Spec).containers[0]!];
    expect(ec.command).toEqual(['virtkit', '--version']);
    expect(ec).not.toHaveProperty('args');
    const { command: _c, args: _a, ...rest } = lc;
    expect(ec).toEqual({ ...rest, command: ['virtkit', '--version'] });
    expect({ ...eph.spec, containers: [] }).toEqual({ ...launcher.spec, containers: [] });
    expect(eph.metadata.labels).toEqual(launcher.metadata.labels);
    expect(isEphemeralPod(eph)).toBe(true);
    expect(isEphemeralPod(launcher)).toBe(false);
  });
});
