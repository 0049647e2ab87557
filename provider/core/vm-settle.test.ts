/**
 * The VirtualMachine component's own wait, decided from what KubeVirt's controller writes:
 * including the cases the Kubernetes provider's await cannot get past (a RestartRequired
 * change and a stopped VM keep observedGeneration behind the VM's generation).
 */
import { describeVm, VmSettleTimeout, vmSettled, vmTarget, type VmObservation } from './vm-settle';

const ready = (status: string, extra: object = {}) => ({
  conditions: [{ type: 'Ready', status, reason: status === 'True' ? undefined : 'VMINotExists' }],
  ...extra,
});

describe('vmTarget', () => {
  it.each([
    ['Always', 'ready'],
    ['RerunOnFailure', 'ready'],
    ['Once', 'ready'],
    ['Halted', 'stopped'],
    ['Manual', 'none'],
    ['WaitAsReceiver', 'none'],
  ] as const)('%s waits for %s', (runStrategy, target) => {
    expect(vmTarget({ runStrategy, template: {} })).toBe(target);
  });
  it('follows the deprecated running boolean', () => {
    expect(vmTarget({ running: true, template: {} })).toBe('ready');
    expect(vmTarget({ running: false, template: {} })).toBe('stopped');
  });
});

describe('vmSettled', () => {
  it('Ready: the Ready condition, once the controller has seen this generation', () => {
    const vm = (generation: number, desiredGeneration: number, observedGeneration: number, r = 'True') =>
      ({
        vm: { metadata: { generation }, status: { ...ready(r), desiredGeneration, observedGeneration } },
        vmi: { status: {} },
      }) as VmObservation;
    expect(vmSettled('ready', vm(1, 1, 1))).toBe(true);
    // A change the running guest takes only on restart: observedGeneration stays at 1 for good,
    // which the provider's await would wait on until its timeout. The component does not.
    expect(vmSettled('ready', vm(2, 2, 1))).toBe(true);
    // The controller has not seen generation 2 yet: its Ready is about the old spec.
    expect(vmSettled('ready', vm(2, 1, 1))).toBe(false);
    expect(vmSettled('ready', vm(1, 1, 1, 'False'))).toBe(false);
  });

  it('Stopped: printableStatus Stopped and no VMI, whatever observedGeneration says', () => {
    const stopped = {
      metadata: { generation: 3 },
      status: { printableStatus: 'Stopped', observedGeneration: 1 },
    } as VmObservation['vm'];
    expect(vmSettled('stopped', { vm: stopped })).toBe(true);
    expect(vmSettled('stopped', { vm: stopped, vmi: { status: { phase: 'Succeeded' } } })).toBe(false);
    expect(vmSettled('stopped', { vm: { status: { printableStatus: 'Stopping' } } } as VmObservation)).toBe(
      false,
    );
  });

  it('never settles on a VM that is gone or going', () => {
    expect(vmSettled('ready', {})).toBe(false);
    expect(
      vmSettled('stopped', {
        vm: {
          metadata: { deletionTimestamp: '2026-12-02T00:00:00Z' },
          status: { printableStatus: 'Stopped' },
        },
      }),
    ).toBe(false);
    expect(vmSettled('none', {})).toBe(true);
  });
});

describe('describeVm', () => {
  it('says where the VM is, with the Ready reason', () => {
    expect(
      describeVm({
        vm: {
          status: {
            printableStatus: 'Starting',
            conditions: [{ type: 'Ready', status: 'False', reason: 'PodNotReady', message: 'probe failed' }],
          },
        },
      }),
    ).toBe('printableStatus Starting, Ready False (PodNotReady: probe failed), no VMI');
    expect(describeVm({})).toBe('the VM does not exist');
  });
});

describe('VmSettleTimeout', () => {
  it('names the VM, what it waited for, where the VM was, and the fix', () => {
    const e = new VmSettleTimeout(
      { namespace: 'apps', name: 'slowpoke', target: 'ready', timeoutSeconds: 600 },
      {
        vm: {
          status: {
            printableStatus: 'Starting',
            conditions: [{ type: 'Ready', status: 'False', reason: 'PodNotReady' }],
          },
        } as VmObservation['vm'],
      },
    );
    expect(e.message).toBe(
      'apps/slowpoke was not Ready within 600 s: printableStatus Starting, Ready False (PodNotReady), no VMI; ' +
        'see `kubectl describe vm slowpoke -n apps`, or raise await.timeoutSeconds',
    );
  });
});
