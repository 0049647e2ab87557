/**
 * The container images (images/): `virtkit` and `virtkit-launcher`, built from Debian's packages,
 * this machine's Node.js and the repository's build output with umoci, or found in the cache by
 * input hash. What a user of the images would notice:
 *  - each archive is there, and its index names the digest the build reported;
 *  - building again from the same inputs (into another folder) gives the same digests and the
 *    same archive bytes;
 *  - the unpacked root filesystems hold no compiler, linker or package manager, no private key
 *    and no set-user-ID program, and list the Debian packages the build reported;
 *  - the image config's User is the declared non-root one;
 *  - Node.js >= 20, QEMU and the launcher's tools run inside the launcher image's root
 *    filesystem, and `virtkit version` runs in both, as the images' users (chroot);
 *  - under a real container runtime (one kubelet node with containerd on the shared control
 *    plane, as test/integration/kubelet-node.test.ts starts it), pods of both images, imported
 *    with `ctr images import` and run with `imagePullPolicy: Never`, print the version through
 *    the image's entrypoint and run as the images' users.
 * The build's and the suite's times and the image sizes are printed.
 */
import { execFileSync } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { RunningKubeletNode } from '../../cli/local/kubelet/node';
import { hostAddressUse } from '../../cli/local/kubelet/host';
import { pickNodeSlots } from '../../cli/local/kubelet/slots';
import { installRbac } from '../../cli/local/rbac';
import { onPath } from '../../common/on-path';
import { buildImages, type BuiltImage } from '../../images/build';
import { forbiddenPrograms, privateKeyFiles, setidFiles, treeBytes, walkTree } from '../../images/inspect';
import { PACKAGE_LIST_FILE, RECIPES, type ImageName } from '../../images/recipes';
import { NODES, PODS, type KubeClient } from '../../kube';
import { createNamespace, deleteNamespace, sharedClient, type Json } from './support/api';
import { eventually } from './support/eventually';
import { kubeletNodeLogs, startTestKubeletNode } from './support/kubelet-node';

const REPO = path.resolve(__dirname, '..', '..');
const VERSION = (JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string })
  .version;
const MiB = 1024 * 1024;
// A cold build (Debian packages downloaded, npm ci, both images) takes about 3 minutes here.
const BUILD_TIMEOUT_MS = 30 * 60_000;

const suiteStarted = Date.now();
let tmp: string;
const images = {} as Record<ImageName, BuiltImage>;
/** Each image unpacked by umoci: its runtime bundle (config.json and rootfs/). */
const bundles = {} as Record<ImageName, string>;
let buildSeconds = 0;

function sh(cmd: string, args: readonly string[], o: { env?: NodeJS.ProcessEnv } = {}): string {
  return execFileSync(cmd, [...args], { encoding: 'utf8', env: o.env, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The tag an OCI image layout names its image by (its only manifest's `ref.name`). */
function tagOf(layoutDir: string): string {
  const index = JSON.parse(fs.readFileSync(path.join(layoutDir, 'index.json'), 'utf8')) as {
    manifests: { annotations: Record<string, string> }[];
  };
  return index.manifests[0]!.annotations['org.opencontainers.image.ref.name']!;
}

/** Runs `argv` inside an unpacked image as `user` (uid:gid), with the image's environment only. */
function inImage(name: ImageName, argv: string[]): string {
  const recipe = RECIPES[name];
  const env = {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: recipe.user.home,
    NODE_ENV: 'production',
  };
  return sh(
    'chroot',
    [`--userspec=${recipe.user.uid}:${recipe.user.gid}`, path.join(bundles[name], 'rootfs'), ...argv],
    {
      env,
    },
  );
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-images-'));
  const started = Date.now();
  for (const image of buildImages({ repo: REPO, log: (l) => console.log(`images: ${l}`) }))
    images[image.name] = image;
  buildSeconds = (Date.now() - started) / 1000;
  for (const name of Object.keys(images) as ImageName[]) {
    const oci = path.join(tmp, `${name}-oci`);
    fs.mkdirSync(oci);
    sh('tar', ['-xf', images[name].archive, '-C', oci]);
    bundles[name] = path.join(tmp, `${name}-bundle`);
    sh('umoci', ['unpack', '--image', `${oci}:${tagOf(oci)}`, bundles[name]]);
  }
}, BUILD_TIMEOUT_MS);

afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('both images are built (or found in the cache): archives with the digests the build reports', () => {
  expect(Object.keys(images).sort()).toEqual(['virtkit', 'virtkit-launcher']);
  const lines: string[] = [];
  for (const image of Object.values(images)) {
    expect(fs.statSync(image.archive).size).toBe(image.archiveBytes);
    const index = JSON.parse(sh('tar', ['-xOf', image.archive, './index.json'])) as {
      manifests: { digest: string; annotations: Record<string, string> }[];
    };
    expect(index.manifests).toHaveLength(1);
    expect(index.manifests[0]!.digest).toBe(image.digest);
    expect(image.ref).toBe(
      `virtkit.local/${image.name}:${index.manifests[0]!.annotations['org.opencontainers.image.ref.name']}`,
    );
    expect(image.tag).toMatch(new RegExp(`^${VERSION.replace(/\./g, '\\.')}-[0-9a-f]{12}$`));
    const unpacked = treeBytes(walkTree(path.join(bundles[image.name], 'rootfs')));
    lines.push(
      `${image.name}: ${image.ref} ${image.digest} archive ${(image.archiveBytes / MiB).toFixed(1)} MiB, ` +
        `unpacked ${(unpacked / MiB).toFixed(1)} MiB, ${image.layers.length} layers, ${image.cached ? 'cached' : `built in ${image.seconds}s`}`,
    );
    // The reported unpacked size is what the unpacked image holds (within the folders' sizes).
    expect(Math.abs(unpacked - image.rootfsBytes)).toBeLessThan(MiB);
  }
  // Node.js, node_modules and virtkit are the same layers in both images.
  expect(images['virtkit-launcher'].layers.slice(-3)).toEqual(images.virtkit.layers.slice(-3));
  console.log(`container images (build or cache lookup ${buildSeconds.toFixed(0)}s):\n${lines.join('\n')}`);
});

test(
  'a second build from the same inputs gives the same digests and the same bytes',
  () => {
    const started = Date.now();
    const again = buildImages({ repo: REPO, outDir: path.join(tmp, 'again') });
    console.log(
      `the second build (root filesystems and node_modules from the cache) took ${((Date.now() - started) / 1000).toFixed(0)}s`,
    );
    for (const image of again) {
      const first = images[image.name];
      expect(image.cached).toBe(false);
      // The same inputs (a checkout edited during the run would change them: then this fails first).
      expect({ name: image.name, inputHash: image.inputHash }).toEqual({
        name: first.name,
        inputHash: first.inputHash,
      });
      expect(image.archive.startsWith(tmp)).toBe(true);
      expect({ name: image.name, digest: image.digest }).toEqual({ name: first.name, digest: first.digest });
      expect(image.layers).toEqual(first.layers);
      expect(fs.readFileSync(image.archive).equals(fs.readFileSync(first.archive))).toBe(true);
    }
  },
  BUILD_TIMEOUT_MS,
);

test('the unpacked images hold no build tools, no private keys and no set-user-ID programs', () => {
  for (const name of Object.keys(images) as ImageName[]) {
    const root = path.join(bundles[name], 'rootfs');
    const entries = walkTree(root);
    expect({ name, tools: forbiddenPrograms(root) }).toEqual({ name, tools: [] });
    expect({ name, keys: privateKeyFiles(root, entries) }).toEqual({ name, keys: [] });
    expect({ name, setid: setidFiles(entries) }).toEqual({ name, setid: [] });
    for (const gone of [
      'usr/bin/apt-get',
      'usr/bin/npm',
      'usr/lib/node_modules',
      'usr/include/node',
      'var/lib/apt',
      'var/cache/apt',
      'root/.npmrc',
      'root/.cache',
      'etc/ssh',
      'usr/share/ovmf/PkKek-1-snakeoil.key',
    ])
      expect({ name, gone, present: fs.existsSync(path.join(root, gone)) }).toEqual({
        name,
        gone,
        present: false,
      });
    // No machine id of the build host: absent, or empty for the runtime to fill.
    const machineId = path.join(root, 'etc/machine-id');
    expect(fs.existsSync(machineId) ? fs.readFileSync(machineId, 'utf8') : '').toBe('');
    expect(entries.filter((e) => e.rel.startsWith('var/log/') && e.stat.isFile())).toEqual([]);
    // The package list the build reported is the one in the image, and dpkg's database agrees.
    expect(fs.readFileSync(path.join(root, PACKAGE_LIST_FILE.slice(1)), 'utf8')).toBe(
      images[name].debianPackages,
    );
    const dpkg = sh('dpkg-query', [
      `--admindir=${path.join(root, 'var/lib/dpkg')}`,
      '--show',
      '--showformat=${Package}=${Version}\n',
    ]);
    expect(dpkg.split('\n').filter(Boolean).sort()).toEqual(
      images[name].debianPackages.split('\n').filter(Boolean).sort(),
    );
    expect(images[name].debianPackages).not.toMatch(/^(apt|gcc-12|binutils|make|npm)=/m);
  }
});

test("the image config's User is the declared user, not root", () => {
  for (const name of Object.keys(images) as ImageName[]) {
    const { user, name: userName } = { user: RECIPES[name].user, name: RECIPES[name].user.name };
    const config = JSON.parse(fs.readFileSync(path.join(bundles[name], 'config.json'), 'utf8')) as {
      process: { user: { uid: number; gid: number }; args: string[] };
    };
    expect(config.process.user).toMatchObject({ uid: user.uid, gid: user.gid });
    expect(config.process.user.uid).not.toBe(0);
    expect(config.process.args).toEqual(['/usr/local/bin/virtkit']);
    expect(images[name].user).toBe(`${user.uid}:${user.gid}`);
    const passwd = fs.readFileSync(path.join(bundles[name], 'rootfs/etc/passwd'), 'utf8');
    expect(passwd).toContain(`${userName}:x:${user.uid}:${user.gid}::${user.home}:/usr/sbin/nologin\n`);
    const home = fs.statSync(path.join(bundles[name], 'rootfs', user.home));
    expect({ uid: home.uid, gid: home.gid }).toEqual({ uid: user.uid, gid: user.gid });
  }
});

test("the launcher image runs Node.js >= 20, QEMU and the launcher's tools as the qemu user", () => {
  const node = inImage('virtkit-launcher', ['node', '--version']).trim();
  expect(Number(/^v(\d+)\./.exec(node)?.[1])).toBeGreaterThanOrEqual(20);
  expect(inImage('virtkit-launcher', ['qemu-system-x86_64', '--version'])).toMatch(
    /^QEMU emulator version \d+\.\d+/,
  );
  expect(inImage('virtkit-launcher', ['qemu-img', '--version'])).toMatch(/^qemu-img version/);
  expect(inImage('virtkit-launcher', ['genisoimage', '--version'])).toMatch(/genisoimage/);
  expect(inImage('virtkit-launcher', ['ip', '-V'])).toMatch(/iproute2/);
  expect(inImage('virtkit-launcher', ['id'])).toMatch(/^uid=107\(qemu\) gid=107\(qemu\)/);
  for (const f of [
    'usr/share/OVMF/OVMF_CODE_4M.fd',
    'usr/share/OVMF/OVMF_VARS_4M.ms.fd',
    'usr/share/seabios/bios-256k.bin',
    'usr/bin/setpriv',
  ])
    expect({ f, present: fs.existsSync(path.join(bundles['virtkit-launcher'], 'rootfs', f)) }).toEqual({
      f,
      present: true,
    });
  expect(inImage('virtkit-launcher', ['virtkit', 'version', '--client'])).toContain(
    `GitVersion:"v${VERSION}"`,
  );
});

test('the virtkit image runs `virtkit version` and the handler tools as its user', () => {
  const out = inImage('virtkit', ['virtkit', 'version', '--client']);
  expect(out).toMatch(
    new RegExp(`^Client Version: version.Info\\{GitVersion:"v${VERSION.replace(/\./g, '\\.')}"`),
  );
  expect(out).toContain('GoVersion:"node20.');
  expect(inImage('virtkit', ['id'])).toMatch(/^uid=65532\(virtkit\) gid=65532\(virtkit\)/);
  const root = path.join(bundles.virtkit, 'rootfs');
  for (const plugin of ['bridge', 'host-local', 'macvlan', 'whereabouts'])
    expect({ plugin, present: fs.existsSync(path.join(root, 'usr/lib/cni', plugin)) }).toEqual({
      plugin,
      present: true,
    });
  expect(inImage('virtkit', ['qemu-img', '--version'])).toMatch(/^qemu-img version/);
  expect(inImage('virtkit', ['openssl', 'version'])).toMatch(/^OpenSSL 3/);
});

describe('under a real container runtime (a kubelet node with containerd)', () => {
  const id = randomBytes(3).toString('hex');
  const NODE = `it-images-${id}`;
  const NS = `images-${id}`;
  const TAINT = { key: 'virtkit.io/it-images', value: 'true', effect: 'NoSchedule' };
  let admin: KubeClient;
  let node: RunningKubeletNode | undefined;
  let dir: string;

  type Pod = Json & { status?: { phase?: string; containerStatuses?: { containerID?: string }[] } };

  const logsOf = (): string => kubeletNodeLogs(dir);

  beforeAll(async () => {
    admin = await sharedClient();
    await installRbac(admin);
    await createNamespace(admin, NS);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-images-node-'));
    // The first free node slot, so a `virtkit up --runtime kubelet` on this machine keeps its own.
    const [slot] = pickNodeSlots(1, hostAddressUse());
    node = await startTestKubeletNode({ name: NODE, dir, slot: slot!, taint: TAINT });
    const ctr = onPath('ctr')!;
    for (const image of Object.values(images)) {
      const started = Date.now();
      sh(ctr, [
        '--address',
        node.containerdSocket,
        '--namespace',
        'k8s.io',
        'images',
        'import',
        '--base-name',
        image.repository,
        image.archive,
      ]);
      console.log(`ctr images import ${image.name}: ${((Date.now() - started) / 1000).toFixed(0)}s`);
    }
  }, 300_000);

  afterAll(async () => {
    await deleteNamespace(admin, NS).catch(() => undefined);
    await node?.stop();
    await admin.delete(NODES, undefined, NODE).catch(() => undefined);
    if (process.env.VIRTKIT_IT_VERBOSE) console.error(logsOf());
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    console.log(`images suite: ${((Date.now() - suiteStarted) / 1000).toFixed(0)}s in all`);
  });

  /** Runs a pod of `image` to completion on the node and returns its log. */
  async function runPod(
    name: string,
    image: BuiltImage,
    container: { command?: string[]; args?: string[] },
  ): Promise<string> {
    await admin.create(PODS, NS, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: NS },
      spec: {
        nodeName: NODE,
        restartPolicy: 'Never',
        automountServiceAccountToken: false,
        tolerations: [{ key: TAINT.key, operator: 'Exists', effect: 'NoSchedule' }],
        terminationGracePeriodSeconds: 1,
        containers: [{ name, image: image.ref, imagePullPolicy: 'Never', ...container }],
      },
    });
    const pod = await eventually(
      `pod ${name} to finish`,
      async () => {
        const p = await admin.getIfExists<Pod>(PODS, NS, name);
        const phase = p?.status?.phase;
        return phase === 'Succeeded' || phase === 'Failed' ? p : undefined;
      },
      { timeoutMs: 180_000, context: logsOf },
    );
    const log = (await admin.get<{ message?: string }>(PODS, NS, name, 'log')).message ?? '';
    expect({ name, phase: pod.status?.phase, log }).toMatchObject({ name, phase: 'Succeeded' });
    expect(pod.status?.containerStatuses?.[0]?.containerID).toMatch(/^containerd:\/\/[0-9a-f]{64}$/);
    return log;
  }

  test('a pod of the virtkit image prints the version through its entrypoint, as uid 65532', async () => {
    const log = await runPod('version', images.virtkit, { args: ['version', '--client'] });
    expect(log).toMatch(
      new RegExp(`^Client Version: version.Info\\{GitVersion:"v${VERSION.replace(/\./g, '\\.')}"`),
    );
    expect(await runPod('whoami', images.virtkit, { command: ['/usr/bin/id'] })).toMatch(
      /^uid=65532\(virtkit\) gid=65532\(virtkit\)/,
    );
  });

  test('a pod of the launcher image runs QEMU as the qemu user (107)', async () => {
    const log = await runPod('launcher', images['virtkit-launcher'], {
      command: ['/bin/sh', '-c', 'id; qemu-system-x86_64 --version | head -n 1; virtkit version --client'],
    });
    const [idLine, qemuLine, versionLine] = log.split('\n');
    expect(idLine).toMatch(/^uid=107\(qemu\) gid=107\(qemu\)/);
    expect(qemuLine).toMatch(/^QEMU emulator version \d+/);
    expect(versionLine).toContain(`GitVersion:"v${VERSION}"`);
  });
});
