/** Kind definition of migrations.kubevirt.io/v1alpha1 MigrationPolicy (cluster-scoped). */
import { defineKind } from '../../kind';
import { CrdOverride, Type } from '../../schema/dsl';
import { MigrationPolicySpec, MigrationPolicyStatus } from './policy';
import { migrationPolicyRules } from './rules';

export const MigrationPolicyKind = defineKind({
  group: 'migrations.kubevirt.io',
  version: 'v1alpha1',
  kind: 'MigrationPolicy',
  plural: 'migrationpolicies',
  singular: 'migrationpolicy',
  scope: 'Cluster',
  description: 'Live migration settings applied to the VMIs its selectors match.',
  fields: {
    spec: MigrationPolicySpec,
    // KubeVirt writes status as null when it is empty.
    status: CrdOverride(
      Type.Union([MigrationPolicyStatus, Type.Null()], { description: MigrationPolicyStatus.description }),
      {
        type: 'object',
        nullable: true,
        properties: {},
      },
    ),
  },
  requiredFields: ['spec'],
  subresources: { status: true },
  rules: migrationPolicyRules,
});
