import { DomainSpec } from './domain';

type Node = Record<string, unknown>;

/** Every property under DomainSpec, as `path: description`. */
function properties(schema: Node, path: string, out: Map<string, unknown>): Map<string, unknown> {
  const props = schema.properties as Record<string, Node> | undefined;
  for (const [name, child] of Object.entries(props ?? {})) {
    out.set(`${path}.${name}`, child.description);
    properties(child, `${path}.${name}`, out);
  }
  if (schema.items) properties(schema.items as Node, `${path}[]`, out);
  if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
    properties(schema.additionalProperties as Node, `${path}{}`, out);
  }
  return out;
}

describe('DomainSpec descriptions', () => {
  const all = properties(DomainSpec as unknown as Node, 'domain', new Map());

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
