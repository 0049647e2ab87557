/**
 * Fields of KubeVirt's current release that the model caught up with: each must validate
 * (schema and rules) and survive the CRD schema unpruned, in the VMI and in every kind
 * that embeds a VMI template. Removing one of them again makes these tests fail.
 */
import { validateAs } from '../../validation/validate';
import { crdProperty, crdSchema, clone, errorLines, sampleVirtualMachineSpec } from '../../testing/crd-kit';
import type { KindDefinition } from '../../kind';
import { VirtualMachinePoolKind } from '../../pool/v1beta1';
import { VirtualMachineSnapshotContentKind } from '../../snapshot/v1beta1';
import { VirtualMachineInstanceKind, type VirtualMachineInstance } from './vmi-kind';
import { VirtualMachineKind } from './vm-kind';
import { VirtualMachineInstanceReplicaSetKind } from './replicaset';
import { VirtualMachineInstancePresetKind } from './preset';
import { leafPaths, pruneObject } from './fixtures/prune';

type Json = Record<string, unknown>;

/** A VMI spec written for a current KubeVirt: reserved overhead, port ranges, a DRA network. */
function currentVmiSpec(): Json {
  return {
    domain: {
      resources: { requests: { memory: '2Gi' } },
      memory: {
        guest: '2Gi',
        reservedOverhead: { addedOverhead: '512Mi', memLock: 'Required' },
      },
      devices: {
        disks: [{ name: 'root', disk: { bus: 'virtio' } }],
        interfaces: [
          {
            name: 'default',
            masquerade: {},
            portRanges: [
              { protocol: 'TCP', start: 30000, end: 30100 },
              { protocol: 'UDP', start: 5000, end: 5000 },
            ],
          },
          { name: 'fast', sriov: {} },
        ],
      },
    },
    resourceClaims: [{ name: 'nic-claim', resourceClaimTemplateName: 'sriov-vf' }],
    networks: [
      { name: 'default', pod: {} },
      { name: 'fast', resourceClaim: { claimName: 'nic-claim', requestName: 'vf' } },
    ],
    volumes: [{ name: 'root', containerDisk: { image: 'quay.io/containerdisks/fedora:40' } }],
  };
}

/** A status a current (and an older) KubeVirt writes. */
function currentVmiStatus(): Json {
  return {
    phase: 'Running',
    memory: {
      guestAtBoot: '2Gi',
      guestCurrent: '2Gi',
      guestRequested: '2Gi',
      memoryOverhead: '312Mi',
    },
    // Written by older releases only; an exported status must still load.
    deviceStatus: {
      gpuStatuses: [
        {
          name: 'gpu1',
          deviceResourceClaimStatus: {
            name: 'gpu-0',
            resourceClaimName: 'web-gpu-claim-x7k2p',
            attributes: { pciAddress: '0000:65:00.0' },
          },
        },
      ],
    },
  };
}

function vmi(): Json {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: { name: 'web', namespace: 'prod' },
    spec: currentVmiSpec(),
    status: currentVmiStatus(),
  };
}

function vm(): Json {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name: 'web', namespace: 'prod' },
    spec: { runStrategy: 'Always', template: { spec: currentVmiSpec() } },
  };
}

/** The VM spec of the shared sample, with its template replaced by the current one. */
function currentVmSpec(): Json {
  const spec = sampleVirtualMachineSpec();
  (spec.template as Json).spec = currentVmiSpec();
  return spec;
}

/** Each kind that carries a VMI spec somewhere, with a manifest using the new fields there. */
const embedding: [string, KindDefinition, () => Json, string][] = [
  ['VirtualMachineInstance', VirtualMachineInstanceKind, vmi, 'spec'],
  ['VirtualMachine', VirtualMachineKind, vm, 'spec.template.spec'],
  [
    'VirtualMachineInstanceReplicaSet',
    VirtualMachineInstanceReplicaSetKind,
    () => ({
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachineInstanceReplicaSet',
      metadata: { name: 'web', namespace: 'prod' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: currentVmiSpec() },
      },
    }),
    'spec.template.spec',
  ],
  [
    'VirtualMachinePool',
    VirtualMachinePoolKind,
    () => ({
      apiVersion: 'pool.kubevirt.io/v1beta1',
      kind: 'VirtualMachinePool',
      metadata: { name: 'web', namespace: 'prod' },
      spec: {
        replicas: 3,
        selector: { matchLabels: { 'kubevirt.io/domain': 'web' } },
        virtualMachineTemplate: {
          metadata: { labels: { 'kubevirt.io/domain': 'web' } },
          spec: currentVmSpec(),
        },
      },
    }),
    'spec.virtualMachineTemplate.spec.template.spec',
  ],
  [
    'VirtualMachineSnapshotContent',
    VirtualMachineSnapshotContentKind,
    () => ({
      apiVersion: 'snapshot.kubevirt.io/v1beta1',
      kind: 'VirtualMachineSnapshotContent',
      metadata: { name: 'vmsnapshot-content-web', namespace: 'prod' },
      spec: {
        virtualMachineSnapshotName: 'web-snap',
        source: { virtualMachine: { metadata: { name: 'web' }, spec: currentVmSpec() } },
      },
    }),
    'spec.source.virtualMachine.spec.template.spec',
  ],
];

/** Paths, below a VMI spec, of every field this catch-up added. */
const NEW_SPEC_PATHS = [
  'domain.memory.reservedOverhead.addedOverhead',
  'domain.memory.reservedOverhead.memLock',
  'domain.devices.interfaces[].portRanges[].protocol',
  'domain.devices.interfaces[].portRanges[].start',
  'domain.devices.interfaces[].portRanges[].end',
  'networks[].resourceClaim.claimName',
  'networks[].resourceClaim.requestName',
];

describe('fields of the current KubeVirt release', () => {
  it.each(embedding)('%s: validates, rules included, with no error', (_kind, def, manifest) => {
    expect(errorLines(validateAs(def, manifest()))).toEqual([]);
  });

  it.each(embedding)('%s: keeps every field under the CRD schema', (_kind, def, manifest) => {
    const object = manifest();
    const kept = pruneObject(crdSchema(def), object);
    expect(leafPaths(kept)).toEqual(leafPaths(object));
  });

  it.each(embedding)('%s: publishes each new field in the CRD', (_kind, def, _manifest, base) => {
    const missing = NEW_SPEC_PATHS.map((p) => `${base}.${p}`).filter((p) => !crdProperty(def, p));
    expect(missing).toEqual([]);
  });

  it('the deprecated preset carries the new domain fields too', () => {
    for (const path of [
      'spec.domain.memory.reservedOverhead.memLock',
      'spec.domain.devices.interfaces[].portRanges[].end',
    ]) {
      expect([path, crdProperty(VirtualMachineInstancePresetKind, path)]).toEqual([path, expect.anything()]);
    }
  });

  it('keeps the legacy deviceStatus whole and the new memoryOverhead in the VMI status', () => {
    expect(crdProperty(VirtualMachineInstanceKind, 'status.deviceStatus')).toMatchObject({
      'x-kubernetes-preserve-unknown-fields': true,
    });
    expect(crdProperty(VirtualMachineInstanceKind, 'status.memory.memoryOverhead')).toMatchObject({
      'x-kubernetes-int-or-string': true,
    });
  });

  it('types the new fields for TypeScript users', () => {
    const typed = vmi() as unknown as VirtualMachineInstance;
    const memLock: 'NotRequired' | 'Required' | undefined =
      typed.spec?.domain.memory?.reservedOverhead?.memLock;
    expect(memLock).toBe('Required');
    expect(typed.spec?.domain.devices.interfaces?.[0].portRanges?.[0]).toEqual({
      protocol: 'TCP',
      start: 30000,
      end: 30100,
    });
    expect(typed.spec?.networks?.[1].resourceClaim?.claimName).toBe('nic-claim');
    expect(typed.status?.memory?.memoryOverhead).toBe('312Mi');
  });

  it('checks the values of the new fields', () => {
    const bad = vmi() as { spec: Json };
    const domain = bad.spec.domain as { memory: Json; devices: { interfaces: Json[] } };
    domain.memory.reservedOverhead = { addedOverhead: 'lots', memLock: 'Always' };
    domain.devices.interfaces[0].portRanges = [{ start: '80', end: 90 }];
    (bad.spec.networks as Json[])[1].resourceClaim = { claimName: 7 };
    const paths = validateAs(VirtualMachineInstanceKind, bad, { schemaOnly: true }).map((i) => i.path);
    expect(paths.sort()).toEqual(
      [
        'spec.domain.memory.reservedOverhead.addedOverhead',
        'spec.domain.memory.reservedOverhead.memLock',
        'spec.domain.devices.interfaces[0].portRanges[0].protocol',
        'spec.domain.devices.interfaces[0].portRanges[0].start',
        'spec.networks[1].resourceClaim.claimName',
      ].sort(),
    );
  });
});

describe("KubeVirt's rules for the new fields", () => {
  const rulesOf = (object: Json, rule: string) =>
    validateAs(VirtualMachineInstanceKind, object)
      .filter((i) => i.rule === rule)
      .map((i) => i.path);

  it('refuses port ranges together with ports', () => {
    const object = vmi();
    const ifaces = (object.spec as { domain: { devices: { interfaces: Json[] } } }).domain.devices.interfaces;
    ifaces[0].ports = [{ port: 80 }];
    expect(rulesOf(object, 'vmi.port-ranges-exclusive')).toEqual([
      'spec.domain.devices.interfaces[0].portRanges',
    ]);
  });

  it('refuses port ranges on an interface that is not masquerade', () => {
    const object = vmi();
    const ifaces = (object.spec as { domain: { devices: { interfaces: Json[] } } }).domain.devices.interfaces;
    ifaces[1].portRanges = [{ protocol: 'TCP', start: 1, end: 2 }];
    expect(rulesOf(object, 'vmi.port-ranges-masquerade')).toEqual([
      'spec.domain.devices.interfaces[1].portRanges',
    ]);
  });

  it('refuses an empty or out-of-bounds range and an unknown protocol', () => {
    const object = vmi();
    const ifaces = (object.spec as { domain: { devices: { interfaces: Json[] } } }).domain.devices.interfaces;
    ifaces[0].portRanges = [
      { protocol: 'TCP', start: 100, end: 99 },
      { protocol: 'SCTP', start: 0, end: 70000 },
    ];
    const at = 'spec.domain.devices.interfaces[0].portRanges';
    expect(rulesOf(object, 'vmi.port-range-order')).toEqual([`${at}[0].end`]);
    expect(rulesOf(object, 'vmi.port-range-bounds')).toEqual([`${at}[1].start`, `${at}[1].end`]);
    expect(rulesOf(object, 'vmi.port-range-protocol')).toEqual([`${at}[1].protocol`]);
  });

  it('takes resourceClaim as a network source, but only alone', () => {
    const object = vmi();
    expect(rulesOf(object, 'vmi.network-source')).toEqual([]);
    ((object.spec as Json).networks as Json[])[1].multus = { networkName: 'vf' };
    expect(rulesOf(object, 'vmi.network-source')).toEqual(['spec.networks[1]']);
  });

  it('accepts every interface model KubeVirt does, igb included', () => {
    const object = clone(vmi());
    const ifaces = (object.spec as { domain: { devices: { interfaces: Json[] } } }).domain.devices.interfaces;
    ifaces[0].model = 'igb';
    expect(rulesOf(object, 'vmi.interface-model')).toEqual([]);
  });
});
