import { Command } from 'commander';
import { runInProcess } from './run-in-process.test-helper';
import { KubeApiError } from '../../kube/errors';
import { buildProgram } from '../main';
import {
  refusalMessage,
  register,
  registerVerb,
  requestBody,
  VM_STATE_VERBS,
  type VmStateSender,
} from './vm-state';

interface Sent {
  verb: string;
  name: string;
  body: unknown;
  connection: unknown;
}

/** Runs `virtkit ARGS` with a fake sender; answers the exit code, what was sent and printed. */
async function run(args: string[], refuse?: Error) {
  const sent: Sent[] = [];
  const send: VmStateSender = (verb, name, body, connection) => {
    sent.push({ verb, name, body, connection });
    return refuse ? Promise.reject(refuse) : Promise.resolve();
  };
  const r = await runInProcess((program) => {
    for (const verb of VM_STATE_VERBS) registerVerb(program, verb, send);
  }, args);
  return { ...r, sent };
}

describe('virtkit start | stop | restart: what is sent', () => {
  test('start: paused and dry-run as virtctl sends them, with -n, --kubeconfig and --context', async () => {
    const r = await run([
      'start',
      'web',
      '--paused',
      '--dry-run',
      '-n',
      'prod',
      '--context',
      'c',
      '--kubeconfig',
      'k',
    ]);
    expect(r.code).toBe(0);
    expect(r.sent).toEqual([
      {
        verb: 'start',
        name: 'web',
        body: { paused: true, dryRun: ['All'] },
        connection: { kubeconfig: 'k', context: 'c', namespace: 'prod' },
      },
    ]);
    expect(r.stdout).toBe('Dry Run execution\nVM web was scheduled to start\n');
  });

  test('plain start, stop and restart send an empty body', async () => {
    for (const verb of VM_STATE_VERBS) {
      const r = await run([verb, 'web']);
      expect(r.code).toBe(0);
      expect(r.sent[0]).toMatchObject({ verb, name: 'web', body: {} });
      expect(r.stdout).toBe(`VM web was scheduled to ${verb}\n`);
    }
  });

  test('--force --grace-period N: gracePeriod for stop, gracePeriodSeconds for restart', async () => {
    expect((await run(['stop', 'web', '--force', '--grace-period', '0'])).sent[0].body).toEqual({
      gracePeriod: 0,
    });
    expect((await run(['stop', 'web', '--grace-period=30', '--force'])).sent[0].body).toEqual({
      gracePeriod: 30,
    });
    expect((await run(['restart', 'web', '--grace-period', '0', '--force'])).sent[0].body).toEqual({
      gracePeriodSeconds: 0,
    });
  });
});

describe('exit codes', () => {
  test.each([
    [['stop', 'web', '--force'], /--force and --grace-period go together/],
    [['restart', 'web', '--grace-period', '0'], /Must both use --force=true and set --grace-period/],
    [['stop', 'web', '--force', '--grace-period', 'soon'], /--grace-period soon: not a whole number/],
    [['stop', 'web', '--force', '--grace-period', '1.5'], /not a whole number/],
    [['stop', 'web', '--force', '--grace-period=-1'], /--grace-period -1: not a whole number/],
    [['start'], /missing required argument 'name'/],
    [['start', 'web', 'other'], /too many arguments/],
    [['start', 'web', '--grace-period', '0'], /unknown option '--grace-period'/],
    [['stop', 'web', '--paused'], /unknown option '--paused'/],
  ])('%j is a usage error: 2, nothing sent', async (args, message) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.sent).toEqual([]);
    expect(r.stderr).toMatch(message);
  });

  test("a refusal prints the server's message and exits 1", async () => {
    const refusal = new KubeApiError(
      'PUT',
      '/p',
      409,
      'Conflict',
      'Operation cannot be fulfilled on virtualmachine.kubevirt.io "web": VM is already running',
    );
    const r = await run(['start', 'web'], refusal);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'virtkit start: Operation cannot be fulfilled on virtualmachine.kubevirt.io "web": VM is already running\n',
    );
    expect(r.stdout).toBe('');
  });

  test('--help exits 0', async () => {
    const r = await run(['stop', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--grace-period <seconds>/);
    expect(r.stdout).toMatch(/-n, --namespace <ns>/);
  });
});

describe('refusal messages', () => {
  test('an API group that is not served gets a hint; a missing VM is said as the server says it', () => {
    const unserved = new KubeApiError(
      'PUT',
      '/p',
      404,
      'NotFound',
      'the server could not find the requested resource',
    );
    expect(refusalMessage(unserved)).toMatch(
      /is the subresource API served\? `kubectl get apiservice v1.subresources.kubevirt.io`/,
    );
    const missing = new KubeApiError(
      'PUT',
      '/p',
      404,
      'NotFound',
      'virtualmachine.kubevirt.io "web" not found',
    );
    expect(refusalMessage(missing)).toBe('virtualmachine.kubevirt.io "web" not found');
    const forbidden = new KubeApiError(
      'PUT',
      '/p',
      403,
      'Forbidden',
      'x',
      'Forbidden: user "bob" may not update ...',
    );
    expect(refusalMessage(forbidden)).toBe('Forbidden: user "bob" may not update ...');
  });
});

describe('registration', () => {
  test('one module registers the three verbs once; the CLI knows them by name', async () => {
    const program = new Command();
    register(program);
    register(program);
    expect(program.commands.map((c) => c.name()).sort()).toEqual(['restart', 'start', 'stop']);
    for (const verb of VM_STATE_VERBS)
      expect((await buildProgram([verb])).commands.map((c) => c.name()).sort()).toEqual([
        'restart',
        'start',
        'stop',
      ]);
  });

  test('requestBody is pure and refuses a lone --force', () => {
    expect(requestBody('start', {})).toEqual({});
    expect(() => requestBody('stop', { force: true })).toThrow(/go together/);
  });
});
