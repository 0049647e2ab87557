import { DomainSpec } from './domain';
import { schemaProperties, type Schema } from '../../testing/crd-kit';

describe('DomainSpec descriptions', () => {
  const all = new Map(
    schemaProperties(DomainSpec as unknown as Schema, 'domain').map(([path, node]) => [
      path,
      node.description,
    ]),
  );

  it('walks the whole tree', () => {
    // Spot-check that the walk reaches deep leaves, so the next test means something.
    expect(all.has('domain.devices.disks[].cdrom.tray')).toBe(true);
    expect(all.has('domain.features.hyperv.tlbflush.extended.enabled')).toBe(true);
    expect(all.has('domain.devices.gpus[].virtualGPUOptions.display.ramFB.enabled')).toBe(true);
    expect(all.size).toBeGreaterThan(200);
  });

  it('gives every property a non-empty description', () => {
    const missing = [...all].filter(([, d]) => typeof d !== 'string' || d.trim() === '').map(([p]) => p);
    expect(missing).toEqual([]);
  });
});
