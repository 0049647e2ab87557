import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { validateObject } from '../../api/validation/validate';
import { buildProgram } from '../main';
import { register } from './create';
import { runInProcess } from './run-in-process.test-helper';

/** Runs `virtkit ARGS` in-process with the create command. */
const run = (args: string[]) => runInProcess(register, args);

function tmpFile(content: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-create-'));
  const file = path.join(dir, 'password');
  fs.writeFileSync(file, content);
  return file;
}

describe('virtkit create vm', () => {
  test('prints a VirtualMachine as YAML that virtkit validates, and nothing on stderr', async () => {
    const r = await run([
      'create',
      'vm',
      '--name=web',
      '-n',
      'prod',
      '--volume-containerdisk',
      'src:quay.io/containerdisks/fedora:41',
      '--user',
      'fedora',
      '--ssh-key',
      'ssh-ed25519 AAAA a@b,ssh-ed25519 BBBB c@d',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const vm = parse(r.stdout);
    expect(vm).toMatchObject({ kind: 'VirtualMachine', metadata: { name: 'web', namespace: 'prod' } });
    expect(validateObject(vm).filter((i) => i.severity === 'error')).toEqual([]);
    // --ssh-key is a string slice, as in virtctl: commas separate keys.
    expect(parse(vm.spec.template.spec.volumes[1].cloudInitNoCloud.userData).ssh_authorized_keys).toEqual([
      'ssh-ed25519 AAAA a@b',
      'ssh-ed25519 BBBB c@d',
    ]);
  });

  test('-o json prints JSON; boolean flags take =false', async () => {
    const r = await run([
      'create',
      'vm',
      '--volume-pvc',
      'src:root',
      '--infer-preference=false',
      '-o',
      'json',
    ]);
    expect(r.code).toBe(0);
    const vm = JSON.parse(r.stdout);
    expect(vm.spec.preference).toBeUndefined();
    expect(vm.spec.template.spec.volumes).toEqual([
      { name: 'root', persistentVolumeClaim: { claimName: 'root' } },
    ]);
  });

  test('--password-file is read and trimmed; the cleartext warning goes to stderr, not into the manifest', async () => {
    const r = await run([
      'create',
      'vm',
      '--name',
      'db',
      '--user',
      'admin',
      '--password-file',
      tmpFile('hunter2\n'),
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      'WARNING: --password-file: The password is stored in cleartext in the VM definition!\n',
    );
    expect(parse(r.stdout).spec.template.spec.volumes[0].cloudInitNoCloud.userData).toContain(
      'password: hunter2\n',
    );
  });

  test('deprecated volume flags warn on stderr and still make the volume', async () => {
    const r = await run(['create', 'vm', '--volume-blank', 'size:1Gi,name:scratch']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^Flag --volume-blank has been deprecated, use flag --volume-import/);
    expect(parse(r.stdout).spec.dataVolumeTemplates[0].metadata.name).toBe('scratch');
  });

  test('bad values: exit 2, one line per problem naming the flag, nothing on stdout', async () => {
    const r = await run(['create', 'vm', '--run-strategy', 'Sometimes', '--volume-import', 'type:blank']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      [
        'virtkit create vm: --run-strategy "Sometimes": invalid RunStrategy; use one of Always, Manual, Halted, Once, RerunOnFailure',
        'virtkit create vm: --volume-import "type:blank": size must be specified for a blank volume; add size:10Gi',
        '',
      ].join('\n'),
    );
  });

  test('a missing or unreadable --password-file is a usage error naming the file', async () => {
    const r = await run(['create', 'vm', '--user', 'me', '--password-file', '/nonexistent/pw']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^virtkit create vm: --password-file "\/nonexistent\/pw": cannot read it \(ENOENT/,
    );
  });

  test.each([
    [['create', 'vm', '--infer-instancetype=maybe'], /argument 'maybe' is invalid. not a boolean/],
    [['create', 'vm', '--flavor', 'x'], /unknown option '--flavor'/],
    [['create', 'vm', 'extra'], /too many arguments/],
    [['create', 'vm', '-o', 'xml'], /-o "xml": not an output format; use -o yaml or -o json/],
    [['create', 'disk'], /unknown command 'disk'|too many arguments/],
  ])('%j: exit 2', async (args, message) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
  });
});

describe('virtkit create instancetype | preference', () => {
  test('instancetype: cluster-wide by default, namespaced with --namespaced', async () => {
    const cluster = await run(['create', 'instancetype', '--name', 'small', '--cpu', '1', '--memory', '2Gi']);
    expect(cluster.code).toBe(0);
    expect(parse(cluster.stdout)).toEqual({
      apiVersion: 'instancetype.kubevirt.io/v1beta1',
      kind: 'VirtualMachineClusterInstancetype',
      metadata: { name: 'small' },
      spec: { cpu: { guest: 1 }, memory: { guest: '2Gi' } },
    });
    const ns = await run([
      'create',
      'instancetype',
      '--namespaced',
      '--cpu',
      '1',
      '--memory',
      '2Gi',
      '-o',
      'json',
    ]);
    expect(JSON.parse(ns.stdout).kind).toBe('VirtualMachineInstancetype');
  });

  test('instancetype without --cpu and --memory: exit 2, both named', async () => {
    const r = await run(['create', 'instancetype']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^virtkit create instancetype: required flag\(s\) --cpu and --memory not set/);
  });

  test('preference: the flags fill its spec; a bad topology is exit 2', async () => {
    const ok = await run([
      'create',
      'preference',
      '-n',
      'team-a',
      '--name',
      'linux',
      '--cpu-topology',
      'cores',
    ]);
    expect(ok.code).toBe(0);
    expect(parse(ok.stdout)).toMatchObject({
      kind: 'VirtualMachinePreference',
      metadata: { name: 'linux', namespace: 'team-a' },
      spec: { cpu: { preferredCPUTopology: 'cores' } },
    });
    const bad = await run(['create', 'preference', '--cpu-topology', 'numa']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(
      /^virtkit create preference: --cpu-topology "numa": CPU topology must have a value of/,
    );
  });
});

test('main registers create: the program built for `virtkit create` has it', async () => {
  const program = await buildProgram(['create', 'vm']);
  expect(program.commands.map((c) => c.name())).toEqual(['create']);
  expect(program.commands[0].commands.map((c) => c.name())).toEqual(['vm', 'instancetype', 'preference']);
});
