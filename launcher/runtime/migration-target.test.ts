import { MigrationConflictError } from '../plan/migration-request';
import type { LaunchPlan, PlannedDisk } from '../plan/types';
import { QmpClient } from '../qmp/client';
import {
  startFakeQmp,
  type FakeQmpPeer,
  type FakeQmpServer,
  type ReceivedCommand,
} from '../qmp/fake-server.test-helper';
import type { DomainReason } from './domain-types';
import type { MigrationHost } from './migration-host';
import { freePort, TargetMigration } from './migration-target';

const disk = (name: string, volumeSource: string): PlannedDisk => ({
  name,
  path: `/run/vm/disks/${name}.qcow2`,
  format: 'qcow2',
  bus: 'virtio',
  device: 'disk',
  readOnly: false,
  driveId: `drive-${name}`,
  volumeSource,
});

let server: FakeQmpServer;
let peer: FakeQmpPeer;
let qmp: QmpClient;
let runState: string;
let failing: Map<string, string>;
let resumed: (DomainReason | undefined)[];
let runningBecause: DomainReason[];
let phases: string[];

function respond(cmd: ReceivedCommand, p: FakeQmpPeer): void {
  const fail = failing.get(cmd.execute);
  if (fail) return p.fail(cmd, 'GenericError', fail);
  switch (cmd.execute) {
    case 'query-status':
      return p.reply(cmd, { running: runState === 'running', status: runState });
    case 'query-block':
      return p.reply(cmd, [
        { device: 'drive-root', inserted: { 'node-name': '#block146' } },
        { device: 'drive-scratch', inserted: { 'node-name': '#block955' } },
        { device: 'drive-data', inserted: { 'node-name': '#block300' } },
      ]);
    case 'query-migrate':
      return p.reply(cmd, { 'socket-address': [{ type: 'inet', host: '10.244.1.7', port: '41657' }] });
    case 'cont':
      runState = 'running';
      return p.reply(cmd);
    default:
      return p.reply(cmd);
  }
}

function target(
  disks: PlannedDisk[] = [
    disk('root', 'containerDisk'),
    disk('scratch', 'emptyDisk'),
    disk('data', 'dataVolume'),
  ],
) {
  const host: MigrationHost = {
    label: 'VirtualMachineInstance prod/web',
    plan: { disks, guestMemoryBytes: 2 ** 30, qemuDir: '/run/vm/qemu' } as unknown as LaunchPlan,
    qmp: () => qmp,
    hotpluggedDisks: () => [],
    changed: (m) => phases.push(m.phase),
    setPauseReason: () => undefined,
    setResumeReason: (r) => resumed.push(r),
    runningBecause: (r) => runningBecause.push(r),
    migratedAway: () => Promise.resolve(),
  };
  const t = new TargetMigration(host, { settleMs: 2000 });
  t.attach(qmp);
  return t;
}

async function sent(): Promise<ReceivedCommand[]> {
  return (await server.peer).received.filter((c) => c.execute !== 'qmp_capabilities');
}

beforeEach(async () => {
  runState = 'inmigrate';
  failing = new Map();
  resumed = [];
  runningBecause = [];
  phases = [];
  server = await startFakeQmp(respond);
  qmp = await QmpClient.connect(server.socketPath);
  peer = await server.peer;
});

afterEach(async () => {
  qmp.close();
  await server.close();
});

describe('TargetMigration (against a scripted QEMU)', () => {
  it('exports the node-local disks over NBD and listens, answering the same again when asked again', async () => {
    const t = target();
    const req = {
      transport: 'tcp' as const,
      address: '10.244.1.7',
      allowPostCopy: false,
      migrationPort: 49152,
      blockPort: 49153,
    };
    const ready = await t.incoming(req);
    expect(ready).toEqual({
      transport: 'tcp',
      address: '10.244.1.7',
      migrationPort: 49152,
      blockPort: 49153,
      mirroredDisks: ['root', 'scratch'],
    });
    const cmds = await sent();
    expect(cmds.map((c) => c.execute)).toEqual([
      'query-status',
      'migrate-set-capabilities',
      'nbd-server-start',
      'query-block',
      'block-export-add',
      'block-export-add',
      'migrate-incoming',
    ]);
    expect(cmds[2]!.arguments).toEqual({
      addr: { type: 'inet', data: { host: '10.244.1.7', port: '49153' } },
    });
    // The disks' -drive nodes have names QEMU made up: they come from query-block.
    expect(cmds[4]!.arguments).toEqual({
      type: 'nbd',
      id: 'migration-root',
      'node-name': '#block146',
      name: 'migration-root',
      writable: true,
    });
    expect(cmds[6]!.arguments).toEqual({ uri: 'tcp:10.244.1.7:49152' });
    expect(t.current()).toMatchObject({ role: 'target', phase: 'Incoming' });
    expect(t.guestRunsHere).toBe(false);

    expect(await t.incoming(req)).toBe(ready);
    expect(await sent()).toHaveLength(cmds.length);
    await expect(t.incoming({ ...req, address: '10.244.1.8' })).rejects.toThrow(
      /is already a migration target \(phase Incoming, listening on 10\.244\.1\.7:49152\)/,
    );
  });

  it('picks free ports when asked with 0 (two launchers on one host)', async () => {
    const t = target();
    const ready = await t.incoming({
      transport: 'tcp' as const,
      address: '127.0.0.1',
      allowPostCopy: false,
      migrationPort: 0,
      blockPort: 0,
    });
    expect(ready.migrationPort).toBe(41657); // what QEMU reports it listens on
    expect(ready.blockPort).toBeGreaterThan(1023);
    const nbd = (await sent()).find((c) => c.execute === 'nbd-server-start')!;
    expect(nbd.arguments).toEqual({
      addr: { type: 'inet', data: { host: '127.0.0.1', port: String(ready.blockPort) } },
    });
    expect((await sent()).find((c) => c.execute === 'migrate-incoming')!.arguments).toEqual({
      uri: 'tcp:127.0.0.1:0',
    });
    expect(await freePort('127.0.0.1')).toBeGreaterThan(0);
  });

  it("unix transport: the stream and the NBD server listen on sockets of QEMU's directory (relative: QEMU reaches nothing above it), for the handler", async () => {
    const ready = await target().incoming({
      transport: 'unix',
      address: '',
      allowPostCopy: false,
      migrationPort: 0,
      blockPort: 0,
    });
    expect(ready).toEqual({
      transport: 'unix',
      address: '',
      migrationPort: 0,
      mirroredDisks: ['root', 'scratch'],
    });
    const cmds = await sent();
    expect(cmds.find((c) => c.execute === 'nbd-server-start')!.arguments).toEqual({
      addr: { type: 'unix', data: { path: './nbd-in.sock' } },
    });
    expect(cmds.find((c) => c.execute === 'migrate-incoming')!.arguments).toEqual({
      uri: 'unix:./mig-in.sock',
    });
    // No port to look up: the handler's proxy knows the sockets by name.
    expect(cmds.map((c) => c.execute)).not.toContain('query-migrate');
  });

  it('without node-local disks: no NBD server, no block port', async () => {
    const ready = await target([disk('data', 'persistentVolumeClaim')]).incoming({
      transport: 'tcp' as const,
      address: 'fd00::7',
      allowPostCopy: true,
      migrationPort: 49152,
      blockPort: 49153,
    });
    expect(ready).toEqual({ transport: 'tcp', address: 'fd00::7', migrationPort: 49152, mirroredDisks: [] });
    const cmds = await sent();
    expect(cmds.map((c) => c.execute)).toEqual([
      'query-status',
      'migrate-set-capabilities',
      'migrate-incoming',
    ]);
    expect(cmds[1]!.arguments!.capabilities).toContainEqual({ capability: 'postcopy-ram', state: true });
    expect(cmds[2]!.arguments).toEqual({ uri: 'tcp:[fd00::7]:49152' });
  });

  it('finish waits for the migration to complete here, then stops the NBD server and resumes the guest', async () => {
    const t = target();
    await expect(t.finish()).rejects.toThrow(/has no incoming migration/);
    await t.incoming({
      transport: 'tcp' as const,
      address: '10.244.1.7',
      allowPostCopy: false,
      migrationPort: 49152,
      blockPort: 49153,
    });
    runState = 'paused';
    setTimeout(() => peer.event('MIGRATION', { status: 'completed' }), 50);
    await t.finish();
    expect(t.current()).toMatchObject({ phase: 'Completed' });
    expect(phases).toEqual(['Incoming', 'Completed']);
    expect((await sent()).map((c) => c.execute).slice(-3)).toEqual([
      'nbd-server-stop',
      'query-status',
      'cont',
    ]);
    expect(resumed).toEqual(['Migrated']);
    expect(t.guestRunsHere).toBe(true);
    expect(t.finished).toBe(true);
  });

  it('refuses to finish a migration that has not completed', async () => {
    const t = new TargetMigration(
      {
        label: 'VirtualMachineInstance prod/web',
        plan: { disks: [] } as unknown as LaunchPlan,
        qmp: () => qmp,
        hotpluggedDisks: () => [],
        changed: () => undefined,
        setPauseReason: () => undefined,
        setResumeReason: () => undefined,
        runningBecause: () => undefined,
        migratedAway: () => Promise.resolve(),
      },
      { settleMs: 50 },
    );
    t.attach(qmp);
    await t.incoming({
      transport: 'tcp' as const,
      address: '10.244.1.7',
      allowPostCopy: false,
      migrationPort: 49152,
      blockPort: 49153,
    });
    await expect(t.finish()).rejects.toThrow(MigrationConflictError);
    await expect(t.finish()).rejects.toThrow(/has not completed \(phase Incoming\)/);
    expect((await sent()).map((c) => c.execute)).not.toContain('cont');
  });

  it('runs the guest at once when post-copy begins (the source stopped it), and finish keeps it running', async () => {
    const t = target();
    await t.incoming({
      transport: 'tcp' as const,
      address: '10.244.1.7',
      allowPostCopy: true,
      migrationPort: 49152,
      blockPort: 49153,
    });
    runState = 'paused';
    peer.event('MIGRATION', { status: 'postcopy-active' });
    for (let i = 0; i < 400 && runState !== 'running'; i++) await new Promise((r) => setTimeout(r, 5));
    expect(runState).toBe('running');
    expect(t.current()).toMatchObject({ phase: 'PostCopy', mode: 'PostCopy' });
    expect(resumed).toEqual(['Postcopy']);
    expect(t.guestRunsHere).toBe(true);
    expect(t.finished).toBe(false);
    peer.event('MIGRATION', { status: 'completed' });
    await t.finish();
    expect(runningBecause).toEqual(['Migrated']);
    expect((await sent()).filter((c) => c.execute === 'cont')).toHaveLength(1);
  });

  it('says why post-copy cannot be received on this node', async () => {
    failing.set(
      'migrate-set-capabilities',
      'Postcopy is not supported: Userfaultfd not available: Operation not permitted',
    );
    await expect(
      target().incoming({
        transport: 'tcp',
        address: '10.244.1.7',
        allowPostCopy: true,
        migrationPort: 49152,
        blockPort: 49153,
      }),
    ).rejects.toThrow(
      /cannot receive a post-copy migration on this node: .*Operation not permitted.*vm\.unprivileged_userfaultfd=1/,
    );
  });

  it('refuses a QEMU that waits for no migration, and stops the NBD server when an export fails', async () => {
    runState = 'running';
    await expect(
      target().incoming({
        transport: 'tcp',
        address: '10.244.1.7',
        allowPostCopy: false,
        migrationPort: 49152,
        blockPort: 49153,
      }),
    ).rejects.toThrow(/QEMU is running, not waiting for one/);
    runState = 'inmigrate';
    failing.set('block-export-add', "Permission conflict on node '#block146'");
    const t = target();
    await expect(
      t.incoming({
        transport: 'tcp' as const,
        address: '10.244.1.7',
        allowPostCopy: false,
        migrationPort: 49152,
        blockPort: 49153,
      }),
    ).rejects.toThrow(/Permission conflict/);
    expect((await sent()).map((c) => c.execute).slice(-2)).toEqual(['block-export-add', 'nbd-server-stop']);
    expect(t.current().phase).toBe('None');
  });
});
