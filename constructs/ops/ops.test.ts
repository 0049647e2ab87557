import { Testing, type Chart } from 'cdk8s';
import { VirtualMachine } from '../vm';
import { manifestOf, quietChart, report } from '../templates/test-kit';
import {
  CloneSource,
  ExportSource,
  MigrationPolicy,
  MigrationPriority,
  SnapshotDeletionPolicy,
  TargetReadinessPolicy,
  VirtualMachineClone,
  VirtualMachineExport,
  VirtualMachineInstanceMigration,
  VirtualMachineReference,
  VirtualMachineRestore,
  VirtualMachineSnapshot,
} from '.';

function db(chart: Chart, namespace = 'prod'): VirtualMachine {
  return new VirtualMachine(chart, 'db', { name: 'db', namespace, memory: '2Gi' });
}

describe('operations', () => {
  test('snapshot, restore, clone and export of an app VM', () => {
    const chart = quietChart();
    const ref = VirtualMachineReference.fromVirtualMachine(db(chart));
    const snap = new VirtualMachineSnapshot(chart, 'snap', {
      name: 'db-nightly',
      namespace: 'prod',
      source: ref,
      deletionPolicy: SnapshotDeletionPolicy.RETAIN,
      failureDeadline: '10m0s',
    });
    new VirtualMachineRestore(chart, 'restore', {
      name: 'db-rollback',
      namespace: 'prod',
      target: ref,
      snapshot: snap,
      targetReadinessPolicy: TargetReadinessPolicy.STOP_TARGET,
    });
    new VirtualMachineClone(chart, 'clone', {
      name: 'db-clone',
      namespace: 'prod',
      source: CloneSource.virtualMachine(ref),
      targetName: 'db-copy',
      labelFilters: ['*'],
    });
    new VirtualMachineExport(chart, 'export', {
      name: 'db-export',
      namespace: 'prod',
      source: ExportSource.snapshot(snap),
      ttlDuration: '1h0m0s',
    });
    const vmRef = { apiGroup: 'kubevirt.io', kind: 'VirtualMachine', name: 'db' };
    expect(manifestOf(chart, 'VirtualMachineSnapshot').spec).toEqual({
      source: vmRef,
      deletionPolicy: 'Retain',
      failureDeadline: '10m0s',
    });
    expect(manifestOf(chart, 'VirtualMachineRestore').spec).toEqual({
      target: vmRef,
      virtualMachineSnapshotName: 'db-nightly',
      targetReadinessPolicy: 'StopTarget',
    });
    expect(manifestOf(chart, 'VirtualMachineClone').spec).toEqual({
      source: vmRef,
      target: { apiGroup: 'kubevirt.io', kind: 'VirtualMachine', name: 'db-copy' },
      labelFilters: ['*'],
    });
    expect(manifestOf(chart, 'VirtualMachineExport').spec).toEqual({
      source: { apiGroup: 'snapshot.kubevirt.io', kind: 'VirtualMachineSnapshot', name: 'db-nightly' },
      ttlDuration: '1h0m0s',
    });
    expect(report(chart)).toEqual({ errors: [], warnings: [] });
    expect(Testing.synth(chart)).toMatchSnapshot();
  });

  test('MigrationPolicy and VirtualMachineInstanceMigration', () => {
    const chart = quietChart();
    new MigrationPolicy(chart, 'mp', {
      name: 'databases',
      vmiSelector: { workload: 'db' },
      allowPostCopy: true,
      bandwidthPerMigration: '128Mi',
    });
    new VirtualMachineInstanceMigration(chart, 'mig', {
      name: 'move-db',
      namespace: 'prod',
      vm: VirtualMachineReference.fromVirtualMachine(db(chart)),
      priority: MigrationPriority.SYSTEM_MAINTENANCE,
    });
    expect(manifestOf(chart, 'MigrationPolicy').spec).toEqual({
      selectors: { virtualMachineInstanceSelector: { workload: 'db' } },
      allowPostCopy: true,
      bandwidthPerMigration: '128Mi',
    });
    expect(manifestOf(chart, 'VirtualMachineInstanceMigration').spec).toEqual({
      vmiName: 'db',
      priority: 'system-maintenance',
    });
    expect(report(chart).errors).toEqual([]);
    expect(Testing.synth(chart)).toMatchSnapshot();
  });

  test('a snapshot of a VM the app does not define is a warning, with a guess', () => {
    const chart = quietChart();
    db(chart);
    new VirtualMachineSnapshot(chart, 'snap', {
      namespace: 'prod',
      source: VirtualMachineReference.byName('dbb'),
    });
    const r = report(chart);
    expect(r.errors).toEqual([]);
    expect(r.warnings.join('\n')).toMatch(
      /test\/snap: spec.source: VirtualMachine "dbb" is not defined in this app in namespace prod \(did you mean "db"\?\)/,
    );
  });

  test('a restore and a clone of an undefined VM warn too; a VM defined by name does not', () => {
    const chart = quietChart();
    db(chart);
    new VirtualMachineRestore(chart, 'r', {
      namespace: 'prod',
      target: VirtualMachineReference.byName('legacy'),
      snapshotName: 's1',
    });
    new VirtualMachineClone(chart, 'c', {
      namespace: 'prod',
      source: CloneSource.virtualMachine(VirtualMachineReference.byName('legacy')),
    });
    new VirtualMachineSnapshot(chart, 'ok', {
      namespace: 'prod',
      source: VirtualMachineReference.byName('db'),
    });
    const warnings = report(chart).warnings.join('\n');
    expect(warnings).toMatch(/test\/r: spec.target: VirtualMachine "legacy" is not defined/);
    expect(warnings).toMatch(/test\/c: spec.source: VirtualMachine "legacy" is not defined/);
    expect(warnings).not.toMatch(/test\/ok/);
  });

  test('a VM construct in another namespace is an error', () => {
    const chart = quietChart();
    const vm = db(chart, 'prod');
    new VirtualMachineSnapshot(chart, 'snap', {
      namespace: 'backup',
      source: VirtualMachineReference.fromVirtualMachine(vm),
    });
    expect(report(chart).errors.join('\n')).toMatch(
      /test\/snap: spec.source: VirtualMachine test\/db is in namespace prod but this object is in backup; .*same namespace/,
    );
  });

  test('a restore needs exactly one of snapshot and snapshotName', () => {
    const chart = quietChart();
    expect(
      () => new VirtualMachineRestore(chart, 'r', { target: VirtualMachineReference.byName('x') }),
    ).toThrow(/test\/r: set exactly one of snapshot/);
  });

  test('api/ rules reach the constructs: a malformed clone patch and an empty migration policy selector', () => {
    const chart = quietChart();
    new VirtualMachineClone(chart, 'c', { source: CloneSource.snapshotNamed('s'), patches: ['not json'] });
    new MigrationPolicy(chart, 'mp', {});
    const errors = report(chart).errors.join('\n');
    expect(errors).toMatch(/test\/c: spec.patches\[0\]: patch "not json" is not valid JSON/);
    expect(errors).toMatch(/test\/mp: spec.selectors/);
  });
});
