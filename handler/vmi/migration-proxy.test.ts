import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { silentLogger } from '../../common/log';
import { MIGRATION_SOCKETS } from '../../launcher/api/protocol';
import { MigrationProxies, openQemuDir, ownSocket } from './migration-proxy';

let root: string;
let servers: net.Server[];
const proxies: MigrationProxies[] = [];

/** A stand-in for a target QEMU's socket: counts what arrives, answers each chunk upper-cased. */
async function fakeQemuSocket(file: string): Promise<{ received: () => number; ended: Promise<number> }> {
  let received = 0;
  let resolveEnd: (n: number) => void = () => undefined;
  const ended = new Promise<number>((r) => (resolveEnd = r));
  const server = net.createServer((c) => {
    c.on('data', (d: Buffer) => {
      received += d.length;
      if (d.length < 64) c.write(d.toString().toUpperCase());
    });
    c.on('end', () => {
      resolveEnd(received);
      c.end();
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(file, r));
  return { received: () => received, ended };
}

function connect(file: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(file);
    s.once('connect', () => resolve(s)).once('error', reject);
  });
}

const firstData = (s: net.Socket): Promise<string> => new Promise((r) => s.once('data', (d) => r(String(d))));

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'vk-mig-proxy-'));
  servers = [];
});

afterEach(async () => {
  for (const p of proxies.splice(0)) p.closeAll();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  fs.rmSync(root, { recursive: true, force: true });
});

function dirs(): { target: string; source: string } {
  const target = path.join(root, 'target-qemu');
  const source = path.join(root, 'source-qemu');
  fs.mkdirSync(target, { mode: 0o700 });
  fs.mkdirSync(source, { mode: 0o700 });
  return { target, source };
}

function pair(): { t: MigrationProxies; s: MigrationProxies } {
  const t = new MigrationProxies({ address: '127.0.0.1', log: silentLogger() });
  const s = new MigrationProxies({ address: '127.0.0.1', log: silentLogger() });
  proxies.push(t, s);
  return { t, s };
}

describe('MigrationProxies', () => {
  it("carries the stream and the NBD connections from the source QEMU's sockets to the target QEMU's, through the nodes' address", async () => {
    const d = dirs();
    const stream = await fakeQemuSocket(path.join(d.target, MIGRATION_SOCKETS.incoming));
    const nbd = await fakeQemuSocket(path.join(d.target, MIGRATION_SOCKETS.incomingBlock));
    const { t, s } = pair();
    const ports = await t.target('ns/vm#m1#target', d.target, true);
    expect(ports.migrationPort).toBeGreaterThan(0);
    expect(ports.blockPort).toBeGreaterThan(0);
    // Asking again (the next sync) answers the same ports.
    expect(await t.target('ns/vm#m1#target', d.target, true)).toEqual(ports);
    await s.source('ns/vm#m1#source', d.source, { address: '127.0.0.1', ...ports });
    // The source's sockets are QEMU's: owned like its directory, owner-only.
    const out = path.join(d.source, MIGRATION_SOCKETS.outgoing);
    const st = fs.statSync(out);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
    expect(st.uid).toBe(fs.statSync(d.source).uid);

    const c = await connect(out);
    const answer = firstData(c);
    c.write('ram');
    expect(await answer).toBe('RAM');
    const b = await connect(path.join(d.source, MIGRATION_SOCKETS.outgoingBlock));
    const blockAnswer = firstData(b);
    b.write('nbd');
    expect(await blockAnswer).toBe('NBD');
    b.end();

    // The last bytes of a stream that ends arrive whole, even once the proxies are closed.
    const big = Buffer.alloc(4 << 20, 7);
    c.write(big);
    c.end();
    s.close('ns/vm#m1#source', { force: false });
    expect(await stream.ended).toBe(3 + big.length);
    expect(await nbd.ended).toBe(3);
    t.close('ns/vm#m1#target', { force: false });
    expect(t.keys()).toEqual([]);
  });

  it('without mirrored disks a target has no block port; a forced close cuts the connections open', async () => {
    const d = dirs();
    await fakeQemuSocket(path.join(d.target, MIGRATION_SOCKETS.incoming));
    const { t, s } = pair();
    const ports = await t.target('k#target', d.target, false);
    expect(ports.blockPort).toBeUndefined();
    await s.source('k#source', d.source, { address: '127.0.0.1', migrationPort: ports.migrationPort });
    expect(fs.existsSync(path.join(d.source, MIGRATION_SOCKETS.outgoingBlock))).toBe(false);
    const c = await connect(path.join(d.source, MIGRATION_SOCKETS.outgoing));
    const answer = firstData(c);
    c.write('x');
    expect(await answer).toBe('X');
    const closed = new Promise((r) => c.once('close', r));
    t.close('k#target', { force: true });
    await closed;
    // A new connection finds nobody at the target's port.
    const again = await connect(path.join(d.source, MIGRATION_SOCKETS.outgoing));
    await new Promise((r) => again.once('close', r));
  });

  it('a socket file left by an earlier migration out of the launcher is replaced', async () => {
    const d = dirs();
    fs.writeFileSync(path.join(d.source, MIGRATION_SOCKETS.outgoing), 'stale');
    const { s } = pair();
    await s.source('k#source', d.source, { address: '127.0.0.1', migrationPort: 9 });
    expect(fs.statSync(path.join(d.source, MIGRATION_SOCKETS.outgoing)).isSocket()).toBe(true);
  });
});

describe('ownSocket', () => {
  it('changes only the socket it finds: a link or a file put in its place is refused and left as it was', () => {
    const victim = path.join(root, 'victim');
    fs.writeFileSync(victim, 'x', { mode: 0o644 });
    const link = path.join(root, 'mig-out.sock');
    fs.symlinkSync(victim, link);
    const refused = `${link}: not the socket the handler bound (replaced); refusing to change its owner`;
    // O_PATH | O_NOFOLLOW: a link in the socket's place is the link itself, not what it names.
    expect(() => ownSocket(link, 1234, 1234)).toThrow(refused);
    fs.rmSync(link);
    fs.writeFileSync(link, 'y');
    expect(() => ownSocket(link, 1234, 1234)).toThrow(refused);
    expect(fs.statSync(victim).mode & 0o777).toBe(0o644);
    expect(fs.statSync(victim).uid).toBe(process.getuid!());
  });
});

describe("the source's sockets are bound through a descriptor of QEMU's folder", () => {
  const waitGone = async (file: string): Promise<boolean> => {
    for (let i = 0; i < 100 && fs.existsSync(file); i++) await new Promise((r) => setTimeout(r, 10));
    return !fs.existsSync(file);
  };

  it('opens the folder at its own path, a path of any length', async () => {
    const volume = path.join(root, 'v'.repeat(100), 'volume');
    fs.mkdirSync(path.join(volume, 'qemu'), { recursive: true });
    const fd = openQemuDir(path.join(volume, 'qemu'));
    expect(fs.readlinkSync(`/proc/self/fd/${fd}`)).toBe(path.join(fs.realpathSync(volume), 'qemu'));
    fs.closeSync(fd);
  });

  it('refuses a folder swapped for a link', () => {
    const volume = path.join(root, 'volume');
    const elsewhere = path.join(root, 'elsewhere');
    fs.mkdirSync(path.join(volume, 'sub', 'qemu'), { recursive: true });
    fs.mkdirSync(path.join(elsewhere, 'qemu'), { recursive: true });
    // The folder itself is a link now.
    fs.renameSync(path.join(volume, 'sub', 'qemu'), path.join(volume, 'sub', 'old'));
    fs.symlinkSync(path.join(elsewhere, 'qemu'), path.join(volume, 'sub', 'qemu'));
    expect(() => openQemuDir(path.join(volume, 'sub', 'qemu'))).toThrow(
      "QEMU's folder was replaced by something else than a folder",
    );
    // A source proxy is not made there, and nothing appears where the link points.
    const { s } = pair();
    return expect(
      s.source('k#source', path.join(volume, 'sub', 'qemu'), { address: '127.0.0.1', migrationPort: 9 }),
    )
      .rejects.toThrow("QEMU's folder was replaced")
      .then(() => expect(fs.readdirSync(path.join(elsewhere, 'qemu'))).toEqual([]));
  });

  it('a folder swapped after the bind changes nothing: the socket is in the first one, and closing removes it there only', async () => {
    const d = dirs();
    const { s } = pair();
    await s.source('k#source', d.source, { address: '127.0.0.1', migrationPort: 9 });
    const bound = path.join(d.source, MIGRATION_SOCKETS.outgoing);
    expect(fs.statSync(bound).isSocket()).toBe(true);
    // The launcher moves its folder away and puts a link to another folder in its place.
    const moved = path.join(root, 'moved');
    const decoy = path.join(root, 'decoy');
    fs.mkdirSync(decoy);
    fs.writeFileSync(path.join(decoy, MIGRATION_SOCKETS.outgoing), 'not a socket');
    fs.renameSync(d.source, moved);
    fs.symlinkSync(decoy, d.source);
    s.close('k#source', { force: true });
    expect(await waitGone(path.join(moved, MIGRATION_SOCKETS.outgoing))).toBe(true);
    expect(fs.readFileSync(path.join(decoy, MIGRATION_SOCKETS.outgoing), 'utf8')).toBe('not a socket');
  });
});
