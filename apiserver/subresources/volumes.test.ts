import type { VirtualMachineVolumeRequest } from '../../api/kubevirt/v1/vm-status';
import { readVolumeRequest, vmiVolumeWrite, vmVolumeWrite } from './volumes';

type Read = { request: VirtualMachineVolumeRequest };

const gates = new Set(['HotplugVolumes']);
const body = { name: 'data', disk: {}, volumeSource: { persistentVolumeClaim: { claimName: 'data-pvc' } } };
const msg = (a: { body?: unknown }) => (a.body as { message: string }).message;

describe('addvolume / removevolume', () => {
  it('needs the HotplugVolumes gate (400, KubeVirt words)', () => {
    const r = readVolumeRequest('addvolume', body, new Set());
    expect('refusal' in r && r.refusal.status).toBe(400);
    expect('refusal' in r && msg(r.refusal)).toBe(
      'Unable to Add Volume because HotplugVolumes feature gate is not enabled.',
    );
    const rm = readVolumeRequest('removevolume', { name: 'x' }, new Set());
    expect('refusal' in rm && msg(rm.refusal)).toMatch(/^Unable to Remove Volume/);
  });

  it('reads the dry run', () => {
    const r = readVolumeRequest('addvolume', { ...body, dryRun: ['All'] }, gates);
    expect('request' in r && r.dryRun).toBe(true);
    const bad = readVolumeRequest('removevolume', {}, gates);
    expect('refusal' in bad && bad.refusal.status).toBe(400);
  });

  const request = (readVolumeRequest('addvolume', body, gates) as Read).request;
  const vmi = (phase: string, volumes: object[] = []) => ({
    metadata: { name: 'vm1' },
    spec: { domain: { devices: { disks: [] } }, volumes },
    status: { phase },
  });

  it('patches a running VMI spec; refuses one that is not running and a name in use (409)', () => {
    const ok = vmiVolumeWrite(vmi('Running') as never, request);
    expect('patch' in ok && ok.patch.map((o) => `${o.op} ${o.path}`)).toEqual([
      'test /spec/volumes',
      'test /spec/domain/devices/disks',
      'replace /spec/volumes',
      'replace /spec/domain/devices/disks',
    ]);
    const stopped = vmiVolumeWrite(vmi('Scheduled') as never, request);
    expect('refusal' in stopped && msg(stopped.refusal)).toBe(
      'Operation cannot be fulfilled on virtualmachineinstance.kubevirt.io "vm1": VMI is not running',
    );
    const taken = vmiVolumeWrite(vmi('Running', [{ name: 'data', emptyDisk: {} }]) as never, request);
    expect('refusal' in taken && taken.refusal.status).toBe(409);
    expect('refusal' in taken && msg(taken.refusal)).toContain(
      'Unable to add volume [data] because volume with that name already exists',
    );
  });

  it('records a VM request in status.volumeRequests', () => {
    const vm = {
      metadata: { name: 'vm1' },
      spec: { template: { spec: { domain: { devices: {} } } } },
      status: { ready: true },
    };
    const w = vmVolumeWrite(vm as never, request);
    expect('patch' in w && w.patch).toEqual([
      { op: 'test', path: '/status/volumeRequests', value: null },
      { op: 'add', path: '/status/volumeRequests', value: [request] },
    ]);
    const fresh = vmVolumeWrite({ ...vm, status: undefined } as never, request);
    expect('patch' in fresh && fresh.patch[0]).toEqual({
      op: 'add',
      path: '/status',
      value: { volumeRequests: [request] },
    });
    const again = vmVolumeWrite({ ...vm, status: { volumeRequests: [request] } } as never, request);
    expect('refusal' in again && msg(again.refusal)).toContain(
      'add volume request for volume [data] already exists',
    );
    const rm = readVolumeRequest('removevolume', { name: 'root' }, gates) as Read;
    const notHot = vmVolumeWrite(
      {
        ...vm,
        spec: {
          template: { spec: { volumes: [{ name: 'root', persistentVolumeClaim: { claimName: 'r' } }] } },
        },
      } as never,
      rm.request,
    );
    expect('refusal' in notHot && msg(notHot.refusal)).toContain(
      'Unable to remove volume [root] because it is not hotpluggable',
    );
  });
});
