/**
 * The CLI as a user runs it: a real `virtkit` process, its output and its exit code.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';

const bin = path.resolve(__dirname, '..', 'bin', 'virtkit.js');

function run(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    input,
    timeout: 120_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function tmpFile(name: string, content: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-cli-'));
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
}

const goodVm = `apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata: {name: web, namespace: default}
spec:
  runStrategy: Always
  template:
    spec:
      domain:
        memory: {guest: 128Mi}
        devices:
          disks: [{name: root, disk: {bus: virtio}}]
      volumes: [{name: root, containerDisk: {image: example/disk}}]
`;

describe('virtkit crds', () => {
  it('prints every CRD as multi-document YAML, network CRDs on request', () => {
    const plain = run(['crds']);
    const withNet = run(['crds', '--with-network-crds']);
    expect(plain.code).toBe(0);
    const names = (out: string) =>
      parseAllDocuments(out).map((d) => (d.toJS() as { metadata: { name: string } }).metadata.name);
    expect(names(plain.stdout)).toContain('virtualmachines.kubevirt.io');
    expect(names(plain.stdout)).not.toContain('network-attachment-definitions.k8s.cni.cncf.io');
    expect(names(withNet.stdout)).toContain('network-attachment-definitions.k8s.cni.cncf.io');
    expect(names(withNet.stdout)).toContain('subnets.kubeovn.io');
    expect(names(withNet.stdout)).toContain('ippools.whereabouts.cni.cncf.io');
  });
});

describe('virtkit validate', () => {
  it('accepts a valid manifest', () => {
    const r = run(['validate', tmpFile('vm.yaml', goodVm)]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('1 of 1 object valid');
    expect(r.code).toBe(0);
  });

  it('reports every problem of an object in one report and exits non-zero', () => {
    const bad = goodVm
      .replace('disk: {bus: virtio}', 'disk: {bus: ide, buss: x}')
      .replace('runStrategy: Always', 'runStrategy: Sometimes');
    const r = run(['validate', tmpFile('bad.yaml', bad)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('VirtualMachine default/web is invalid (3 errors)');
    expect(r.stderr).toContain(
      'spec.template.spec.domain.devices.disks[0].disk.bus: IDE bus is not supported',
    );
    expect(r.stderr).toContain(
      'spec.template.spec.domain.devices.disks[0].disk.buss: unknown field "buss"; did you mean "bus"?',
    );
    expect(r.stderr).toContain('spec.runStrategy: Invalid RunStrategy (Sometimes)');
  });

  it('names the line of malformed YAML', () => {
    const r = run([
      'validate',
      tmpFile('broken.yaml', 'apiVersion: kubevirt.io/v1\nkind: [VirtualMachine\n'),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/broken\.yaml:\d+:\d+: malformed YAML in document 1/);
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/); // no stack trace
  });

  it('rejects wrong types with the path and the value', () => {
    const r = run(['validate', tmpFile('types.yaml', goodVm.replace('guest: 128Mi', 'guest: [1]'))]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'spec.template.spec.domain.memory.guest: must be an integer or a string, got a list [1]',
    );
  });

  it('rejects unknown kinds and versions with the fix', () => {
    const kind = run([
      'validate',
      tmpFile('k.yaml', goodVm.replace('kind: VirtualMachine', 'kind: VirtualMachin')),
    ]);
    expect(kind.code).toBe(1);
    expect(kind.stderr).toContain(
      'unknown kind "VirtualMachin" in apiVersion "kubevirt.io/v1"; did you mean "VirtualMachine"?',
    );
    const version = run(['validate', tmpFile('v.yaml', goodVm.replace('kubevirt.io/v1', 'kubevirt.io/v2'))]);
    expect(version.code).toBe(1);
    expect(version.stderr).toContain(
      'kind VirtualMachine is not served at apiVersion "kubevirt.io/v2"; use kubevirt.io/v1',
    );
  });

  it('reads stdin and says when a file is missing', () => {
    expect(run(['validate', '-'], goodVm).code).toBe(0);
    const missing = run(['validate', '/nonexistent/vm.yaml']);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe('cannot read /nonexistent/vm.yaml: no such file');
  });

  it('validates the example manifests', () => {
    const dir = path.resolve(__dirname, '..', 'examples', 'yaml');
    const files = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => path.join(dir, f));
    const r = run(['validate', ...files]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});
