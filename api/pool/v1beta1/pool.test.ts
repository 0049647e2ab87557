import { crdFor } from '../../crd/generate';
import { validateAs } from '../../validation/validate';
import {
  clone,
  crdVersion,
  errorLines,
  sampleVirtualMachineSpec,
  undocumentedProperties,
} from '../../testing/crd-kit';
import { VirtualMachinePoolKind, type VirtualMachinePool } from './index';

const pool: VirtualMachinePool = {
  apiVersion: 'pool.kubevirt.io/v1beta1',
  kind: 'VirtualMachinePool',
  metadata: { name: 'workers', namespace: 'ci' },
  spec: {
    replicas: 3,
    selector: {
      matchLabels: { 'kubevirt.io/vmpool': 'workers' },
      matchExpressions: [{ key: 'tier', operator: 'In', values: ['ci', 'batch'] }],
    },
    virtualMachineTemplate: {
      metadata: { labels: { 'kubevirt.io/vmpool': 'workers', tier: 'ci' } },
      spec: sampleVirtualMachineSpec() as never,
    },
    maxUnavailable: '25%',
    nameGeneration: { appendIndexToConfigMapRefs: true, appendIndexToSecretRefs: true },
    scaleInStrategy: {
      proactive: {
        selectionPolicy: {
          sortPolicy: 'Oldest',
          selectors: { labelSelector: { matchLabels: { drain: 'yes' } } },
        },
        statePreservation: 'Offline',
      },
    },
    updateStrategy: { opportunistic: {} },
    autohealing: { startUpFailureThreshold: 5, minFailingToStartDuration: '10m' },
  },
  status: {
    replicas: 3,
    readyReplicas: 2,
    labelSelector: 'kubevirt.io/vmpool=workers',
    conditions: [{ type: 'ReplicaPaused', status: 'False' }],
  },
};

describe('VirtualMachinePool', () => {
  it('accepts a realistic pool', () => {
    expect(errorLines(validateAs(VirtualMachinePoolKind, pool))).toEqual([]);
  });

  it('catches an unknown field and a negative replica count', () => {
    const p = clone(pool) as unknown as { spec: Record<string, unknown> };
    p.spec.replica = 2;
    p.spec.replicas = -1;
    const paths = validateAs(VirtualMachinePoolKind, p).map((i) => `${i.path} ${i.rule}`);
    expect(paths).toEqual(
      expect.arrayContaining(['spec.replica schema.unknown-field', 'spec.replicas schema.minimum']),
    );
  });

  it('refuses a selector that misses the template labels', () => {
    const p = clone(pool);
    p.spec.selector = {
      matchLabels: { app: 'workers' },
      matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['ci'] }],
    };
    expect(errorLines(validateAs(VirtualMachinePoolKind, p))).toEqual([
      expect.stringMatching(
        /^spec\.selector\.matchLabels\["app"\]: selector label app="workers" is not on the template/,
      ),
      expect.stringMatching(
        /^spec\.selector\.matchExpressions\[0\]: selector requirement .* does not hold for the template labels/,
      ),
    ]);
    const empty = clone(pool);
    empty.spec.selector = {};
    expect(errorLines(validateAs(VirtualMachinePoolKind, empty))[0]).toMatch(
      /^spec\.selector: the selector is empty/,
    );
  });

  it('refuses two scale-in strategies at once', () => {
    const p = clone(pool);
    p.spec.scaleInStrategy = { unmanaged: {}, proactive: {} };
    expect(errorLines(validateAs(VirtualMachinePoolKind, p))).toEqual([
      'spec.scaleInStrategy: spec.scaleInStrategy sets unmanaged and proactive; choose one of them',
    ]);
  });

  it('publishes names, status and scale subresources, printer columns and descriptions', () => {
    const crd = crdFor(VirtualMachinePoolKind);
    expect(crd.metadata.name).toBe('virtualmachinepools.pool.kubevirt.io');
    expect(crd.spec.names).toMatchObject({ shortNames: ['vmpool', 'vmpools'], categories: ['all'] });
    const v = crdVersion(VirtualMachinePoolKind);
    expect(v.subresources).toEqual({
      status: {},
      scale: {
        specReplicasPath: '.spec.replicas',
        statusReplicasPath: '.status.replicas',
        labelSelectorPath: '.status.labelSelector',
      },
    });
    expect((v.additionalPrinterColumns as { name: string }[]).map((c) => c.name)).toEqual([
      'Desired',
      'Current',
      'Ready',
      'Age',
    ]);
    expect(undocumentedProperties(VirtualMachinePoolKind)).toEqual([]);
  });
});

describe('pool member VM template', () => {
  it('gets the VirtualMachine admission rules at its own path', () => {
    const { validateObject } = jest.requireActual(
      '../../validation/validate',
    ) as typeof import('../../validation/validate');
    const pool = {
      apiVersion: 'pool.kubevirt.io/v1beta1',
      kind: 'VirtualMachinePool',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        virtualMachineTemplate: {
          metadata: { labels: { app: 'web' } },
          spec: {
            runStrategy: 'Always',
            template: {
              metadata: { labels: { app: 'web' } },
              spec: {
                domain: {
                  memory: { guest: '128Mi' },
                  devices: { disks: [{ name: 'root', disk: { bus: 'ide' } }] },
                },
                volumes: [{ name: 'root', containerDisk: { image: 'example/disk' } }],
              },
            },
          },
        },
      },
    };
    const issues = validateObject(pool);
    expect(issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      'spec.virtualMachineTemplate.spec.template.spec.domain.devices.disks[0].disk.bus: IDE bus is not supported',
    ]);
  });
});
