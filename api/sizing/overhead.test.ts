import type { VirtualMachineInstanceSpec } from '../kubevirt/v1';
import { memoryOverhead } from './overhead';

const MiB = 2 ** 20;
const spec = (over: Partial<VirtualMachineInstanceSpec['domain']> = {}): VirtualMachineInstanceSpec => ({
  domain: { resources: { requests: { memory: '1Gi' } }, devices: {}, ...over },
});

describe('memoryOverhead', () => {
  it("is base + vCPU + page tables + video for a 1 vCPU / 1 GiB VM, well under KubeVirt's ~290 MiB", () => {
    expect(memoryOverhead(spec()) / MiB).toBe(160 + 4 + 2 + 16);
  });
  it('grows with vCPUs and guest memory, and drops video when graphics are off', () => {
    const big = memoryOverhead(
      spec({ cpu: { sockets: 4 }, memory: { guest: '8Gi' }, devices: { autoattachGraphicsDevice: false } }),
    );
    expect(big / MiB).toBe(160 + 16 + 16);
  });
});
