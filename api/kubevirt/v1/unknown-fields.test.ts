import { validateAs } from '../../validation/validate';
import { VirtualMachineKind, type VirtualMachine } from './vm-kind';
import { VirtualMachineInstanceKind, type VirtualMachineInstance } from './vmi-kind';
import { loadFixture } from './fixtures/load';

type Json = Record<string, unknown>;

/** Set a value at a dotted path with [n] indexes, creating nothing: the path must exist up to its parent. */
function setAt(root: Json, path: string, value: unknown): void {
  const parts = path.replace(/\[(\d+)\]/g, '.$1').split('.');
  let node = root as Record<string, unknown>;
  for (const part of parts.slice(0, -1)) node = node[part] as Record<string, unknown>;
  node[parts[parts.length - 1]] = value;
}

function vmWith(edits: Record<string, unknown>): Json {
  const vm = loadFixture<VirtualMachine>('vm-rich.yaml') as unknown as Json;
  for (const [path, value] of Object.entries(edits)) setAt(vm, path, value);
  return vm;
}

const schemaIssues = (object: unknown) =>
  validateAs(VirtualMachineKind, object, { schemaOnly: true }).map((i) => ({
    path: i.path,
    message: i.message,
  }));

describe('unknown and mistyped fields are reported at their exact path', () => {
  it.each([
    ['spec.template.spec.volumes[2].cloudInitNoCloud.userdata', 'x', 'did you mean "userData"?'],
    ['spec.template.spec.networks[1].multus.networkname', 'storage/vlan', 'did you mean "networkName"?'],
    [
      'spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operater',
      'In',
      'did you mean "operator"?',
    ],
    ['spec.template.spec.tolerations[1].tolerationSecond', 300, 'did you mean "tolerationSeconds"?'],
    [
      'spec.template.spec.accessCredentials[0].sshPublicKey.propagationMethod.qemuGuestAgent.user',
      ['root'],
      'did you mean "users"?',
    ],
    ['spec.template.spec.readinessProbe.guestAgentPing.enabled', true, 'this object takes no fields'],
    ['spec.dataVolumeTemplates[0].metadata.labelz', { a: 'b' }, 'did you mean "labels"?'],
    ['spec.template.metadata.anotations', { a: 'b' }, 'did you mean "annotations"?'],
    ['spec.instancetype.revision', 'r1', 'known fields here: name, kind, revisionName'],
    ['status.volumeSnapshotStatuses[0].enable', true, 'did you mean "enabled"?'],
    ['spec.template.spec.evictionstrategy', 'None', 'did you mean "evictionStrategy"?'],
  ])('%s', (path, value, hint) => {
    const issues = schemaIssues(vmWith({ [path]: value }));
    expect(issues).toHaveLength(1);
    expect(issues[0].path).toBe(path);
    expect(issues[0].message).toContain(`unknown field "${path.split('.').pop()}"`);
    expect(issues[0].message).toContain(hint);
  });

  it('reports wrong types and values, all at once, each at its own path', () => {
    const issues = schemaIssues(
      vmWith({
        'spec.runStrategy': 'Sometimes',
        'spec.template.spec.tolerations[1].tolerationSeconds': '300',
        'spec.template.spec.topologySpreadConstraints[0].whenUnsatisfiable': 'Maybe',
        'spec.template.spec.livenessProbe.httpGet.port': true,
        'spec.template.spec.volumes[1].containerDisk.imagePullPolicy': 'Sometimes',
        'status.printableStatus': 'Fine',
        'status.conditions[0].status': 'Yes',
      }),
    );
    const byPath = Object.fromEntries(issues.map((i) => [i.path, i.message]));
    expect(Object.keys(byPath).sort()).toEqual(
      [
        'spec.runStrategy',
        'spec.template.spec.tolerations[1].tolerationSeconds',
        'spec.template.spec.topologySpreadConstraints[0].whenUnsatisfiable',
        'spec.template.spec.livenessProbe.httpGet.port',
        'spec.template.spec.volumes[1].containerDisk.imagePullPolicy',
        'status.printableStatus',
        'status.conditions[0].status',
      ].sort(),
    );
    expect(byPath['spec.runStrategy']).toContain(
      'Always, RerunOnFailure, Once, Manual, Halted, WaitAsReceiver',
    );
    expect(byPath['spec.template.spec.tolerations[1].tolerationSeconds']).toContain('must be an integer');
    expect(byPath['spec.template.spec.livenessProbe.httpGet.port']).toContain('integer or a string');
  });

  it('reports a bad quantity in a VMI volume and a missing required field', () => {
    const vmi = loadFixture<VirtualMachineInstance>('vmi-multus.yaml') as unknown as Json;
    setAt(vmi, 'spec.volumes[0]', { name: 'scratch', emptyDisk: { capacity: '2 gigs' } });
    setAt(vmi, 'spec.networks[1].multus', {});
    const issues = validateAs(VirtualMachineInstanceKind, vmi, { schemaOnly: true });
    expect(issues.map((i) => i.path).sort()).toEqual([
      'spec.networks[1].multus.networkName',
      'spec.volumes[0].emptyDisk.capacity',
    ]);
    expect(issues.find((i) => i.path.endsWith('capacity'))?.message).toContain('invalid quantity "2 gigs"');
  });
});
