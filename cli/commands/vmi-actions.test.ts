import { Command } from 'commander';
import { runInProcess } from './run-in-process.test-helper';
import { KubeApiError } from '../../kube/errors';
import { buildProgram } from '../main';
import {
  parseTargetKind,
  register,
  registerVerb,
  requestBody,
  VMI_VERB_NAMES,
  type VmiActionApi,
  type VmiActionConnector,
} from './vmi-actions';

interface World {
  vms: Record<string, { spec?: { runStrategy?: string } }>;
  /** What the server answers per VMI name: its GET body, or the error of any request. */
  vmis: Record<string, unknown>;
  calls: string[];
  connections: unknown[];
}

function connector(w: World): VmiActionConnector {
  return (connection) => {
    w.connections.push(connection);
    const api: VmiActionApi = {
      namespace: 'prod',
      put: async (name, sub, body) => {
        w.calls.push(`PUT ${name}/${sub} ${JSON.stringify(body)}`);
        const v = w.vmis[name];
        if (v instanceof Error) throw v;
        if (v === undefined)
          throw new KubeApiError(
            'PUT',
            '/p',
            404,
            'NotFound',
            `virtualmachineinstance.kubevirt.io "${name}" not found`,
          );
      },
      get: async (name, sub) => {
        w.calls.push(`GET ${name}/${sub}`);
        const v = w.vmis[name];
        if (v instanceof Error) throw v;
        return v;
      },
      getVm: async (name) => {
        w.calls.push(`GET vm ${name}`);
        return w.vms[name];
      },
      close: () => w.calls.push('close'),
    };
    return Promise.resolve(api);
  };
}

async function run(args: string[], w: World) {
  return runInProcess((program) => {
    for (const verb of VMI_VERB_NAMES) registerVerb(program, verb, connector(w));
  }, args);
}

const world = (over: Partial<World> = {}): World => ({
  vms: { web: { spec: { runStrategy: 'Always' } }, idle: { spec: { runStrategy: 'Halted' } } },
  vmis: { web: { os: { id: 'debian' } } },
  calls: [],
  connections: [],
  ...over,
});

describe('virtkit pause | unpause', () => {
  test("vmi NAME is one PUT of the subresource, with virtctl's line", async () => {
    const w = world();
    const r = await run(['pause', 'vmi', 'web', '-n', 'prod', '--context', 'c', '--kubeconfig', 'k'], w);
    expect(r).toEqual({ code: 0, stdout: 'VMI web was scheduled to pause\n', stderr: '' });
    expect(w.calls).toEqual(['PUT web/pause {}', 'close']);
    expect(w.connections).toEqual([{ kubeconfig: 'k', context: 'c', namespace: 'prod' }]);
  });

  test('vm NAME reads the VM first and acts on its VMI; --dry-run sends dryRun: ["All"]', async () => {
    const w = world();
    const r = await run(['unpause', 'VirtualMachine', 'web', '--dry-run'], w);
    expect(r.stdout).toBe('Dry Run execution\nVMI web was scheduled to unpause\n');
    expect(w.calls).toEqual(['GET vm web', 'PUT web/unpause {"dryRun":["All"]}', 'close']);
  });

  test('a VM without a VMI says why, by its run strategy; a missing VM says so', async () => {
    const halted = await run(['pause', 'vm', 'idle'], world());
    expect(halted.code).toBe(1);
    expect(halted.stderr).toBe(
      'virtkit pause: VirtualMachine prod/idle is not running (it is not set to run); start it first\n',
    );
    const starting = await run(['pause', 'vm', 'web'], world({ vmis: {} }));
    expect(starting.stderr).toMatch(/VirtualMachine prod\/web has no VirtualMachineInstance yet/);
    const missing = await run(['unpause', 'vm', 'nosuch'], world());
    expect(missing.stderr).toBe(
      'virtkit unpause: VirtualMachine prod/nosuch not found; check the name and the namespace (-n)\n',
    );
  });

  test("a refusal prints the server's words and exits 1", async () => {
    const w = world({
      vmis: {
        web: new KubeApiError(
          'PUT',
          '/p',
          409,
          'Conflict',
          'Operation cannot be fulfilled on virtualmachineinstance.kubevirt.io "web": VMI is already paused',
        ),
      },
    });
    const r = await run(['pause', 'vmi', 'web'], w);
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'virtkit pause: Operation cannot be fulfilled on virtualmachineinstance.kubevirt.io "web": VMI is already paused\n',
    });
  });
});

describe('the other verbs', () => {
  test('soft-reboot, reset, unfreeze: one PUT each', async () => {
    for (const [verb, sub] of [
      ['soft-reboot', 'softreboot'],
      ['reset', 'reset'],
      ['unfreeze', 'unfreeze'],
    ]) {
      const w = world();
      const r = await run([verb, 'web'], w);
      expect(r.stdout).toBe(`VMI web was scheduled to ${verb}\n`);
      expect(w.calls[0]).toBe(`PUT web/${sub} undefined`);
    }
  });

  test('freeze sends the unfreeze timeout (5m unless told)', async () => {
    const w = world();
    await run(['freeze', 'web'], w);
    await run(['freeze', 'web', '--unfreeze-timeout', '90s'], w);
    expect(w.calls.filter((c) => c.startsWith('PUT'))).toEqual([
      'PUT web/freeze {"unfreezeTimeout":"5m"}',
      'PUT web/freeze {"unfreezeTimeout":"90s"}',
    ]);
  });

  test('guestosinfo, userlist and fslist print the answer as indented JSON', async () => {
    const w = world();
    const r = await run(['guestosinfo', 'web'], w);
    expect(r.stdout).toBe('{\n  "os": {\n    "id": "debian"\n  }\n}\n');
    await run(['userlist', 'web'], w);
    await run(['fslist', 'web'], w);
    expect(w.calls.filter((c) => c.startsWith('GET'))).toEqual([
      'GET web/guestosinfo',
      'GET web/userlist',
      'GET web/filesystemlist',
    ]);
  });
});

describe('usage errors exit 2 and send nothing', () => {
  test.each([
    [['pause', 'pod', 'web'], /'pod' cannot be paused; name a 'vmi' or a 'vm'/],
    [['pause', 'web'], /missing required argument 'name'/],
    [['guestosinfo'], /missing required argument 'name'/],
    [['reset', 'web', '--dry-run'], /unknown option '--dry-run'/],
    [['freeze', 'web', '--unfreeze-timeout', 'soon'], /--unfreeze-timeout soon: not a duration/],
    [['freeze', 'web', '--unfreeze-timeout=-1s'], /not a duration/],
  ])('%j', async (args, message) => {
    const w = world();
    const r = await run(args, w);
    expect(r.code).toBe(2);
    expect(w.calls).toEqual([]);
    expect(r.stderr).toMatch(message);
  });

  test('pure parts', () => {
    expect(parseTargetKind('pause', 'VMIs')).toBe('vmi');
    expect(parseTargetKind('pause', 'virtualmachines')).toBe('vm');
    expect(requestBody('pause', { dryRun: true })).toEqual({ dryRun: ['All'] });
    expect(requestBody('freeze', { unfreezeTimeout: '0' })).toEqual({ unfreezeTimeout: '0' });
    expect(requestBody('reset', {})).toBeUndefined();
  });
});

test('one module registers every verb once; the CLI knows them by name', async () => {
  const program = new Command();
  register(program);
  register(program);
  const all = [...VMI_VERB_NAMES].sort();
  expect(program.commands.map((c) => c.name()).sort()).toEqual(all);
  for (const verb of ['pause', 'soft-reboot', 'fslist'])
    expect((await buildProgram([verb])).commands.map((c) => c.name()).sort()).toEqual(all);
});
