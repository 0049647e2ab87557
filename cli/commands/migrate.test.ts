import { Command } from 'commander';
import { runInProcess } from './run-in-process.test-helper';
import { KubeApiError } from '../../kube/errors';
import { buildProgram } from '../main';
import {
  cancelMigration,
  migrateBody,
  MIGRATE_VERBS,
  parseNodeSelector,
  register,
  registerVerb,
  type MigrationApi,
  type MigrationConnector,
  type MigrationItem,
} from './migrate';

interface World {
  migrations: MigrationItem[];
  /** The refusal of the migrate request, the list or the delete. */
  refuse?: { migrate?: Error; list?: Error; delete?: Error };
  calls: string[];
  connections: unknown[];
}

const world = (migrations: MigrationItem[] = [], refuse?: World['refuse']): World => ({
  migrations,
  refuse,
  calls: [],
  connections: [],
});

function connector(w: World): MigrationConnector {
  return (connection) => {
    w.connections.push(connection);
    const api: MigrationApi = {
      namespace: 'prod',
      migrate: async (name, body) => {
        w.calls.push(`PUT ${name}/migrate ${JSON.stringify(body)}`);
        if (w.refuse?.migrate) throw w.refuse.migrate;
      },
      listMigrations: async () => {
        w.calls.push('LIST vmim');
        if (w.refuse?.list) throw w.refuse.list;
        return w.migrations;
      },
      deleteMigration: async (name, uid) => {
        w.calls.push(`DELETE vmim ${name} uid=${uid}`);
        if (w.refuse?.delete) throw w.refuse.delete;
      },
      close: () => w.calls.push('close'),
    };
    return Promise.resolve(api);
  };
}

const run = (args: string[], w: World) =>
  runInProcess((program) => {
    for (const verb of MIGRATE_VERBS) registerVerb(program, verb, connector(w));
  }, args);

const vmim = (name: string, vmiName: string, phase?: string): MigrationItem => ({
  metadata: { name, uid: `uid-${name}` },
  spec: { vmiName },
  ...(phase ? { status: { phase } } : {}),
});

describe('virtkit migrate', () => {
  test("sends virtctl's MigrateOptions to the VM's migrate subresource and prints virtctl's line", async () => {
    const w = world();
    const r = await run(
      [
        'migrate',
        'web',
        '--addedNodeSelector',
        'topology.kubernetes.io/zone=zone-b,disktype=ssd',
        '--addedNodeSelector=disktype=nvme',
        '-n',
        'prod',
        '--context',
        'c',
      ],
      w,
    );
    expect(r).toMatchObject({ code: 0, stdout: 'VM web was scheduled to migrate\n', stderr: '' });
    expect(w.calls).toEqual([
      'PUT web/migrate {"addedNodeSelector":{"topology.kubernetes.io/zone":"zone-b","disktype":"nvme"}}',
      'close',
    ]);
    expect(w.connections).toEqual([{ kubeconfig: undefined, context: 'c', namespace: 'prod' }]);
  });

  test('--dry-run prints "Dry Run execution" first and sends dryRun ["All"]; no flag sends {}', async () => {
    const dry = world();
    const r = await run(['migrate', 'web', '--dry-run'], dry);
    expect(r.stdout).toBe('Dry Run execution\nVM web was scheduled to migrate\n');
    expect(dry.calls[0]).toBe('PUT web/migrate {"dryRun":["All"]}');
    const plain = world();
    await run(['migrate', 'web'], plain);
    expect(plain.calls[0]).toBe('PUT web/migrate {}');
  });

  test("a refusal prints the server's message and exits 1", async () => {
    const w = world([], {
      migrate: new KubeApiError(
        'PUT',
        '/p',
        409,
        'Conflict',
        'Operation cannot be fulfilled on virtualmachine.kubevirt.io "web": VM is not running',
      ),
    });
    const r = await run(['migrate', 'web'], w);
    expect(r).toMatchObject({
      code: 1,
      stdout: '',
      stderr:
        'virtkit migrate: Operation cannot be fulfilled on virtualmachine.kubevirt.io "web": VM is not running\n',
    });
    expect(w.calls).toContain('close');
  });

  test.each([
    [['migrate'], /missing required argument 'name'/],
    [['migrate', 'web', '--addedNodeSelector', 'zone'], /"zone" is not key=value/],
    [['migrate', 'web', '--addedNodeSelector', '=b'], /"=b" is not key=value/],
    [['migrate', 'web', '--addedNodeSelector', 'a b=c'], /key "a b" is not a label key/],
    [
      ['migrate', 'web', '--addedNodeSelector', 'zone=not ok'],
      /the value "not ok" of "zone" is not a label value/,
    ],
    [['migrate', 'web', '--grace-period', '0'], /unknown option '--grace-period'/],
    [['migrate-cancel', 'web', '--dry-run'], /unknown option '--dry-run'/],
  ])('%j is a usage error: 2, nothing sent', async (args, message) => {
    const w = world();
    const r = await run(args, w);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(w.calls).toEqual([]);
  });
});

describe('virtkit migrate-cancel', () => {
  test("deletes the migration of the VMI that has not ended (by uid) and prints virtctl's line", async () => {
    const w = world([
      vmim('old', 'web', 'Succeeded'),
      vmim('failed', 'web', 'Failed'),
      vmim('other', 'db', 'Running'),
      vmim('moving', 'web', 'Running'),
    ]);
    const r = await run(['migrate-cancel', 'web', '-n', 'prod'], w);
    expect(r).toMatchObject({ code: 0, stdout: 'VM web was scheduled to migrate-cancel\n', stderr: '' });
    expect(w.calls).toEqual(['LIST vmim', 'DELETE vmim moving uid=uid-moving', 'close']);
  });

  test('a migration without a status yet is in flight too', async () => {
    const w = world([vmim('new', 'web')]);
    expect(await cancelMigration(await connector(w)({}), 'web')).toBe('new');
  });

  test('with none in flight it says so and exits 1, deleting nothing', async () => {
    const w = world([vmim('old', 'web', 'Succeeded')]);
    const r = await run(['migrate-cancel', 'web'], w);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'virtkit migrate-cancel: Found no migration to cancel for web: no VirtualMachineInstanceMigration of VMI prod/web is in flight (`kubectl get vmim -n prod` lists the ones that ended)\n',
    );
    expect(w.calls).toEqual(['LIST vmim', 'close']);
  });

  test("a list or delete the server refuses: virtctl's words and the server's, exit 1", async () => {
    const forbidden = new KubeApiError(
      'GET',
      '/p',
      403,
      'Forbidden',
      'virtualmachineinstancemigrations.kubevirt.io is forbidden: User "bob" cannot list resource',
      'Forbidden: User "bob" cannot list virtualmachineinstancemigrations in namespace prod',
    );
    const listing = await run(['migrate-cancel', 'web'], world([], { list: forbidden }));
    expect(listing.stderr).toBe(
      'virtkit migrate-cancel: Error fetching virtual machine instance migration list: Forbidden: User "bob" cannot list virtualmachineinstancemigrations in namespace prod\n',
    );
    const gone = new KubeApiError(
      'DELETE',
      '/p',
      409,
      'Conflict',
      'Precondition failed: UID in precondition: uid-moving, UID in object meta: other',
    );
    const deleting = await run(['migrate-cancel', 'web'], world([vmim('moving', 'web')], { delete: gone }));
    expect(deleting.code).toBe(1);
    expect(deleting.stderr).toBe(
      'virtkit migrate-cancel: Error canceling migration moving of a VirtualMachine web: Precondition failed: UID in precondition: uid-moving, UID in object meta: other\n',
    );
  });
});

describe('the pure parts and registration', () => {
  test('parseNodeSelector: pairs, repeated flags merged, a later key wins', () => {
    expect(parseNodeSelector('a=1,b=2', { a: '0', c: '3' })).toEqual({ a: '1', b: '2', c: '3' });
    expect(parseNodeSelector('empty=')).toEqual({ empty: '' });
    expect(() => parseNodeSelector('a=1,,b=2')).toThrow(/"" is not key=value/);
  });

  test('migrateBody sends only what is set', () => {
    expect(migrateBody({})).toEqual({});
    expect(migrateBody({ addedNodeSelector: {} })).toEqual({});
    expect(migrateBody({ addedNodeSelector: { z: 'b' }, dryRun: true })).toEqual({
      addedNodeSelector: { z: 'b' },
      dryRun: ['All'],
    });
  });

  test('one module registers both verbs once; the CLI knows them by name', async () => {
    const program = new Command();
    register(program);
    register(program);
    expect(program.commands.map((c) => c.name()).sort()).toEqual(['migrate', 'migrate-cancel']);
    for (const verb of MIGRATE_VERBS)
      expect((await buildProgram([verb])).commands.map((c) => c.name()).sort()).toEqual([
        'migrate',
        'migrate-cancel',
      ]);
  });
});
