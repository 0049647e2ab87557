import { crdFor } from '../../crd/generate';
import { validateAs } from '../../validation/validate';
import { clone, crdVersion, errorLines, undocumentedProperties } from '../../testing/crd-kit';
import { MigrationPolicyKind, type MigrationPolicy } from './index';

const policy: MigrationPolicy = {
  apiVersion: 'migrations.kubevirt.io/v1alpha1',
  kind: 'MigrationPolicy',
  metadata: { name: 'databases' },
  spec: {
    selectors: {
      namespaceSelector: { 'example.com/tier': 'data' },
      virtualMachineInstanceSelector: { workload: 'database' },
    },
    allowAutoConverge: true,
    allowPostCopy: false,
    allowWorkloadDisruption: false,
    bandwidthPerMigration: '256Mi',
    completionTimeoutPerGiB: 300,
  },
};

describe('MigrationPolicy', () => {
  it('accepts a realistic policy, with status written as null', () => {
    expect(validateAs(MigrationPolicyKind, policy)).toEqual([]);
    expect(validateAs(MigrationPolicyKind, { ...policy, status: null })).toEqual([]);
  });

  it('catches an unknown field', () => {
    const p = clone(policy) as unknown as { spec: Record<string, unknown> };
    p.spec.allowAutoConverged = true;
    expect(validateAs(MigrationPolicyKind, p)).toEqual([
      expect.objectContaining({
        path: 'spec.allowAutoConverged',
        message: expect.stringContaining('did you mean "allowAutoConverge"'),
      }),
    ]);
  });

  it('refuses a policy that selects everything, and negative values', () => {
    const p = clone(policy);
    p.spec.selectors = {};
    p.spec.completionTimeoutPerGiB = -1;
    expect(errorLines(validateAs(MigrationPolicyKind, p))).toEqual([
      expect.stringMatching(/^spec\.selectors: both selectors are empty/),
      'spec.completionTimeoutPerGiB: completionTimeoutPerGiB -1 is negative; use a number of seconds such as 150',
    ]);
  });

  it('is cluster-scoped with a status subresource and documented properties', () => {
    const crd = crdFor(MigrationPolicyKind);
    expect(crd.metadata.name).toBe('migrationpolicies.migrations.kubevirt.io');
    expect(crd.spec.scope).toBe('Cluster');
    expect(crd.spec.names).toMatchObject({ plural: 'migrationpolicies', singular: 'migrationpolicy' });
    expect(crdVersion(MigrationPolicyKind).subresources).toEqual({ status: {} });
    expect(undocumentedProperties(MigrationPolicyKind)).toEqual([]);
  });
});
