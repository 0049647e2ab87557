import { parse, stringify } from 'yaml';
import { validateAs } from '../../validation/validate';
import { crdSchema } from '../../testing/crd-kit';
import { VirtualMachineInstanceKind, type VirtualMachineInstance } from './vmi-kind';
import { VirtualMachineInstanceMigrationKind } from './migration';
import { VirtualMachineInstanceReplicaSetKind } from './replicaset';
import { VirtualMachineInstancePresetKind } from './preset';
import { VOLUME_SOURCE_NAMES } from './volumes';
import { loadFixture } from './fixtures/load';
import { leafPaths, pruneObject } from './fixtures/prune';

describe('VirtualMachineInstance with Multus networks and a full status', () => {
  const vmi = loadFixture<VirtualMachineInstance>('vmi-multus.yaml');

  it('validates with no schema issue', () => {
    expect(validateAs(VirtualMachineInstanceKind, vmi, { schemaOnly: true })).toEqual([]);
  });

  it('round-trips through YAML and the CRD schema without losing a field', () => {
    expect(parse(stringify(vmi))).toEqual(vmi);
    const kept = pruneObject(
      crdSchema(VirtualMachineInstanceKind),
      vmi as unknown as Record<string, unknown>,
    );
    expect(leafPaths(kept)).toEqual(leafPaths(vmi));
  });

  it('types status fields the controller writes', () => {
    expect(vmi.status?.phase).toBe('Running');
    expect(vmi.status?.interfaces?.map((i) => i.name)).toEqual(['default', 'wan', 'lan']);
    expect(vmi.status?.migrationState?.migrationConfiguration?.parallelMigrationsPerCluster).toBe(5);
  });
});

describe('every volume source', () => {
  const sources: Record<string, unknown> = {
    hostDisk: { path: '/var/lib/images/a.img', type: 'DiskOrCreate', capacity: '1Gi', shared: false },
    persistentVolumeClaim: { claimName: 'data', readOnly: false, hotpluggable: true },
    cloudInitNoCloud: { userDataBase64: 'I2Nsb3VkLWNvbmZpZwo=', networkDataBase64: 'dmVyc2lvbjogMgo=' },
    cloudInitConfigDrive: {
      secretRef: { name: 'ud' },
      networkDataSecretRef: { name: 'nd' },
      userData: '#cloud-config\n',
      networkData: 'version: 2\n',
    },
    sysprep: { configMap: { name: 'unattend' } },
    containerDisk: {
      image: 'registry.local/disks/alpine:3.20',
      path: '/disk/alpine.qcow2',
      imagePullSecret: 'pull',
      imagePullPolicy: 'Always',
    },
    ephemeral: { persistentVolumeClaim: { claimName: 'golden' } },
    emptyDisk: { capacity: '2Gi' },
    dataVolume: { name: 'dv', hotpluggable: true },
    configMap: { name: 'app-config', optional: true, volumeLabel: 'CFG' },
    secret: { secretName: 'app-secret', volumeLabel: 'SEC' },
    downwardAPI: {
      volumeLabel: 'META',
      fields: [
        { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
        {
          path: 'mem',
          resourceFieldRef: { containerName: 'compute', resource: 'limits.memory', divisor: '1Mi' },
          mode: 420,
        },
      ],
    },
    serviceAccount: { serviceAccountName: 'default' },
    downwardMetrics: {},
    memoryDump: { claimName: 'dump', hotpluggable: true },
    containerPath: { path: '/var/run/secrets/tokens', readOnly: true },
  };

  it('covers each source KubeVirt defines, and each validates', () => {
    expect(Object.keys(sources).sort()).toEqual([...VOLUME_SOURCE_NAMES].sort());
    const vmi = {
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachineInstance',
      metadata: { name: 'all-sources' },
      spec: {
        domain: { devices: {} },
        volumes: Object.entries(sources).map(([source, body], i) => ({ name: `v${i}`, [source]: body })),
      },
    };
    expect(validateAs(VirtualMachineInstanceKind, vmi, { schemaOnly: true })).toEqual([]);
  });
});

describe('the other kubevirt.io/v1 kinds', () => {
  it('validates a migration with its status', () => {
    const vmim = {
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachineInstanceMigration',
      metadata: { name: 'mig-1', namespace: 'edge' },
      spec: { vmiName: 'router-7x2kq', addedNodeSelector: { zone: 'b' }, priority: 'user-triggered' },
      status: {
        phase: 'Succeeded',
        phaseTransitionTimestamps: [{ phase: 'Pending', phaseTransitionTimestamp: '2024-05-02T11:00:00Z' }],
        conditions: [{ type: 'migrationAbortRequested', status: 'False' }],
        migrationState: { completed: true, sourceNode: 'node-1', targetNode: 'node-2', mode: 'PostCopy' },
        synchronizationAddresses: ['10.0.0.5:9185'],
      },
    };
    expect(validateAs(VirtualMachineInstanceMigrationKind, vmim, { schemaOnly: true })).toEqual([]);
  });

  it('validates a replica set with a template', () => {
    const vmirs = {
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachineInstanceReplicaSet',
      metadata: { name: 'workers' },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'worker' } },
        template: { metadata: { labels: { app: 'worker' } }, spec: { domain: { devices: {} } } },
      },
      status: {
        replicas: 3,
        readyReplicas: 2,
        labelSelector: 'app=worker',
        conditions: [{ type: 'ReplicaPaused', status: 'False' }],
      },
    };
    expect(validateAs(VirtualMachineInstanceReplicaSetKind, vmirs, { schemaOnly: true })).toEqual([]);
  });

  it('validates a deprecated preset', () => {
    const preset = {
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachineInstancePreset',
      metadata: { name: 'small' },
      spec: {
        selector: { matchLabels: { size: 'small' } },
        domain: { resources: { requests: { memory: '128Mi' } }, devices: {} },
      },
    };
    expect(validateAs(VirtualMachineInstancePresetKind, preset, { schemaOnly: true })).toEqual([]);
  });

  it('requires spec on the kinds KubeVirt requires it on', () => {
    const issues = validateAs(
      VirtualMachineInstanceMigrationKind,
      { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstanceMigration' },
      { schemaOnly: true },
    );
    expect(issues.map((i) => i.path)).toEqual(['spec']);
  });
});
