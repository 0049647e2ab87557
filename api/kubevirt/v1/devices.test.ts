import { checkAgainst } from '../../validation/schema-check';
import { toStructural } from '../../crd/structural';
import { Devices, MAX_DISKS } from './devices';

type Node = Record<string, unknown>;
const crd = toStructural(Devices as unknown as Node) as { properties: Record<string, Node> };

describe('Devices', () => {
  it.each(['disks', 'interfaces', 'inputs', 'gpus', 'hostDevices', 'filesystems'])(
    '%s merge by name under server-side apply and name is required',
    (list) => {
      const schema = crd.properties[list];
      expect(schema['x-kubernetes-list-type']).toBe('map');
      expect(schema['x-kubernetes-list-map-keys']).toEqual(['name']);
      expect((schema.items as Node).required).toContain('name');
    },
  );

  it('reports a disk without a name at the disk', () => {
    const issues = checkAgainst(Devices, { disks: [{ disk: { bus: 'virtio' } }] }, 'devices');
    expect(issues).toEqual([
      expect.objectContaining({ path: 'devices.disks[0].name', rule: 'schema.required' }),
    ]);
  });

  it('leaves the ide bus to admission, which answers in KubeVirt words', () => {
    expect(checkAgainst(Devices, { disks: [{ name: 'd', disk: { bus: 'ide' } }] })).toEqual([]);
  });

  it('refuses more disks than KubeVirt allows', () => {
    const disks = Array.from({ length: MAX_DISKS + 1 }, (_, i) => ({ name: `d${i}`, disk: {} }));
    const issues = checkAgainst(Devices, { disks }, 'devices');
    expect(issues.map((i) => i.path)).toEqual(['devices.disks']);
  });

  it('keeps binding markers closed: masquerade takes no fields', () => {
    const issues = checkAgainst(
      Devices,
      { interfaces: [{ name: 'default', masquerade: { nat: true } }] },
      'devices',
    );
    expect(issues).toEqual([
      expect.objectContaining({
        path: 'devices.interfaces[0].masquerade.nat',
        message: 'unknown field "nat"; this object takes no fields',
      }),
    ]);
  });

  it('accepts every binding method KubeVirt lists, including the deprecated ones', () => {
    const bindings = ['bridge', 'slirp', 'masquerade', 'sriov', 'macvtap', 'passt', 'passtBinding'];
    const interfaces = bindings.map((b) => ({ name: b, [b]: {} }));
    expect(checkAgainst(Devices, { interfaces })).toEqual([]);
  });

  it('requires the port number and a filesystem type', () => {
    const issues = checkAgainst(
      Devices,
      {
        interfaces: [{ name: 'default', masquerade: {}, ports: [{ name: 'http' }] }],
        filesystems: [{ name: 'fs' }],
      },
      'devices',
    );
    expect(issues.map((i) => i.path).sort()).toEqual([
      'devices.filesystems[0].virtiofs',
      'devices.interfaces[0].ports[0].port',
    ]);
  });

  it('reports a negative boot order, which KubeVirt cannot decode', () => {
    const issues = checkAgainst(Devices, { disks: [{ name: 'd', disk: {}, bootOrder: -1 }] }, 'devices');
    expect(issues.map((i) => i.path)).toEqual(['devices.disks[0].bootOrder']);
  });

  it('publishes empty markers as objects with no properties in the CRD', () => {
    const iface = (crd.properties.interfaces.items as { properties: Record<string, Node> }).properties;
    expect(iface.masquerade).toMatchObject({ type: 'object', properties: {} });
    expect(iface.bootOrder).toMatchObject({ type: 'integer' });
    expect(iface.bootOrder.minimum).toBeUndefined();
  });
});
