/**
 * The puller against a real registry (Debian's docker-registry on loopback), fed by the real
 * `virtkit image push`: checksums of the extracted disk, the cache reused, concurrent pulls
 * sharing one download, the registry's answer for a missing tag, mirrors.
 */
import { spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { REGISTRY_PASSWORD, REGISTRY_USER, TestRegistry } from '../../test/fixtures/registry';
import { ImagePuller, ImagePullError } from './puller';
import { credentialsFromSecret, parseRegistryMirror } from './policy';
import * as zlib from 'zlib';
import { tarOf } from '../../common/oci/tar.test-helper';
import { MEDIA_TYPES, RegistryClient, sha256Digest } from '../../common/oci/client';
import { imageConfig, imageManifest } from '../../common/oci/container-disk';
import type { KubeClient } from '../../kube';
import { resolveLaunchResources } from '../volumes/resolve';
import { VolumePrepareError } from '../volumes/plan';

/** Pushes an image of one layer with `files` (path → content, or a symlink target after '->'). */
async function pushFiles(
  registry: string,
  repo: string,
  tag: string,
  files: Record<string, string>,
): Promise<string> {
  const tarBytes = await tarOf(
    Object.entries(files).map(([name, body]) =>
      body.startsWith('->') ? { name, type: 'symlink' as const, linkname: body.slice(2) } : { name, body },
    ),
  );
  const gz = zlib.gzipSync(tarBytes);
  const client = new RegistryClient({ registry });
  const config = imageConfig(sha256Digest(tarBytes));
  const layer = { mediaType: MEDIA_TYPES.ociLayerGzip, digest: sha256Digest(gz), size: gz.length };
  const configDesc = { mediaType: MEDIA_TYPES.ociConfig, digest: sha256Digest(config), size: config.length };
  const { Readable } = await import('stream');
  await client.pushBlob(repo, layer, () => Readable.from([gz]));
  await client.pushBlob(repo, configDesc, () => Readable.from([config]));
  return client.putManifest(repo, tag, imageManifest(configDesc, [layer]), MEDIA_TYPES.ociManifest);
}

jest.setTimeout(120_000);

const VIRTKIT = path.resolve(__dirname, '../../bin/virtkit.js');
let reg: TestRegistry;
let dir: string;
let disk: string;
let pushed: string;

const sha = (file: string): string => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

function push(
  file: string,
  ref: string,
  extra: string[] = [],
  input?: string,
): { stdout: string; stderr: string; status: number | null } {
  const r = spawnSync(process.execPath, [VIRTKIT, 'image', 'push', file, ref, ...extra], {
    encoding: 'utf8',
    timeout: 90_000,
    ...(input !== undefined ? { input } : {}),
  });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

beforeAll(async () => {
  reg = await TestRegistry.start();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vk-pull-'));
  disk = path.join(dir, 'testdisk.qcow2');
  const buf = Buffer.alloc(3 * 2 ** 20);
  for (let i = 0; i < buf.length; i += 4096) buf.writeUInt32LE((i * 2654435761) >>> 0, i);
  fs.writeFileSync(disk, buf);
  const r = push(disk, `${reg.host}/virtkit/disk:v1`);
  expect(r.stderr).toMatch(/pushing layer sha256:[0-9a-f]{64}/);
  expect(r.status).toBe(0);
  pushed = r.stdout.trim();
});

afterAll(async () => {
  await reg?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const cache = (name: string): string => path.join(dir, name);

describe('virtkit image push', () => {
  it('prints REGISTRY/REPO@digest, with plain progress lines off a terminal', () => {
    expect(pushed).toMatch(
      new RegExp(`^${reg.host.replace(/\./g, '\\.')}/virtkit/disk@sha256:[0-9a-f]{64}$`),
    );
  });

  it('pushes the same digest again (reproducible), skipping the layer the registry has', () => {
    const again = push(disk, `${reg.host}/virtkit/disk:v1-again`);
    expect(again.status).toBe(0);
    expect(again.stdout.trim().split('@')[1]).toBe(pushed.split('@')[1]);
    expect(again.stderr).toMatch(/already there/);
  });

  it('refuses a file that is not a disk image, and a digest as the target', () => {
    const txt = path.join(dir, 'notes.txt');
    fs.writeFileSync(txt, 'x');
    expect(push(txt, `${reg.host}/virtkit/x:v1`)).toMatchObject({
      status: 1,
      stderr: expect.stringMatching(/\.qcow2, \.img, \.raw or \.iso/),
    });
    expect(push(disk, `${reg.host}/virtkit/x@sha256:${'a'.repeat(64)}`)).toMatchObject({
      status: 1,
      stderr: expect.stringMatching(/not a digest/),
    });
  });
});

describe('ImagePuller', () => {
  it('pulls once: the disk matches, a second pull uses the cache, the ref by digest too', async () => {
    const p = new ImagePuller({ cacheDir: cache('c1') });
    const first = await p.pull({ image: `${reg.host}/virtkit/disk:v1` });
    expect(first.downloaded).toBe(true);
    expect(first.digest).toBe(pushed.split('@')[1]);
    expect(sha(first.path)).toBe(sha(disk));
    expect(path.basename(first.path)).toBe('testdisk.qcow2');
    expect(fs.statSync(first.path).mode & 0o777).toBe(0o400);
    expect(first.path.startsWith(cache('c1') + path.sep)).toBe(true);

    const again = new ImagePuller({ cacheDir: cache('c1') });
    const second = await again.pull({ image: `${reg.host}/virtkit/disk:v1` });
    expect(second).toMatchObject({ downloaded: false, path: first.path });
    expect(again.downloads).toBe(0);
    // Always asks the registry for the manifest, but the layers are not fetched again.
    const always = await again.pull({ image: `${reg.host}/virtkit/disk:v1`, policy: 'Always' });
    expect(always).toMatchObject({ downloaded: false, path: first.path });
    expect(again.downloads).toBe(0);
    const byDigest = await again.pull({ image: pushed, policy: 'Never' });
    expect(byDigest.path).toBe(first.path);
  });

  it('concurrent pulls of one image share one download (in this process and through the lock file)', async () => {
    const a = new ImagePuller({ cacheDir: cache('c2') });
    const b = new ImagePuller({ cacheDir: cache('c2') });
    const image = `${reg.host}/virtkit/disk:v1`;
    const results = await Promise.all([
      a.pull({ image }),
      a.pull({ image }),
      b.pull({ image }),
      a.pull({ image: pushed }),
    ]);
    expect(new Set(results.map((r) => r.path)).size).toBe(1);
    expect(a.downloads + b.downloads).toBe(1);
    expect(results.filter((r) => r.downloaded)).toHaveLength(1);
    expect(fs.readdirSync(path.join(cache('c2'), 'tmp'))).toEqual([]);
    expect(fs.readdirSync(path.join(cache('c2'), 'locks'))).toEqual([]);
  });

  it("a missing tag fails with the registry's answer, then backs off (ImagePullBackOff)", async () => {
    const p = new ImagePuller({ cacheDir: cache('c3') });
    const image = `${reg.host}/virtkit/disk:missing`;
    const first = await p.pull({ image }).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(ImagePullError);
    expect(first).toMatchObject({ reason: 'ErrImagePull' });
    expect((first as Error).message).toMatch(
      /Failed to pull image ".*:missing": manifest .* answered 404 Not Found \(MANIFEST_UNKNOWN: manifest unknown\)/,
    );
    const second = await p.pull({ image }).catch((e: unknown) => e);
    expect(second).toMatchObject({ reason: 'ImagePullBackOff' });
    expect((second as Error).message).toMatch(/Back-off pulling image .*MANIFEST_UNKNOWN/);
    expect((second as ImagePullError).retryMs).toBeGreaterThan(5000);
  });

  it('Never without the image cached, and a bad reference, are clear', async () => {
    const p = new ImagePuller({ cacheDir: cache('c4') });
    await expect(p.pull({ image: `${reg.host}/virtkit/disk:v1`, policy: 'Never' })).rejects.toMatchObject({
      reason: 'ErrImageNeverPull',
      message: expect.stringMatching(/not present on this node with pull policy of Never/),
    });
    await expect(p.pull({ image: 'Quay.io/BAD' })).rejects.toMatchObject({ reason: 'InvalidImageName' });
  });

  it('a mirror serves a public name (air-gapped: docker.io mapped to the local registry)', async () => {
    const p = new ImagePuller({
      cacheDir: cache('c5'),
      mirrors: [parseRegistryMirror(`docker.io=${reg.url}`)],
    });
    const got = await p.pull({ image: 'docker.io/virtkit/disk:v1' });
    expect(sha(got.path)).toBe(sha(disk));
  });

  it('a blob corrupted in the registry is refused by its digest, and nothing is cached', async () => {
    const small = path.join(dir, 'small.img');
    fs.writeFileSync(small, Buffer.alloc(64 * 1024, 7));
    expect(push(small, `${reg.host}/virtkit/corrupt:v1`).status).toBe(0);
    const manifest = (await (
      await fetch(`${reg.url}/v2/virtkit/corrupt/manifests/v1`, {
        headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
      })
    ).json()) as { layers: { digest: string }[] };
    const blob = reg.blobFile(manifest.layers[0].digest);
    const bytes = fs.readFileSync(blob);
    bytes[bytes.length - 20] ^= 0xff;
    fs.writeFileSync(blob, bytes);
    const p = new ImagePuller({ cacheDir: cache('c6') });
    await expect(p.pull({ image: `${reg.host}/virtkit/corrupt:v1` })).rejects.toMatchObject({
      reason: 'ErrImagePull',
      message: expect.stringMatching(
        /got \d+ bytes hashing to sha256:[0-9a-f]{64}; the manifest says \d+ bytes, sha256:/,
      ),
    });
    expect(fs.readdirSync(path.join(cache('c6'), 'disks'))).toEqual([]);
    expect(fs.readdirSync(path.join(cache('c6'), 'tmp'))).toEqual([]);
  });
});

describe('a registry with Basic auth', () => {
  let authReg: TestRegistry;
  beforeAll(async () => {
    authReg = await TestRegistry.start({ auth: true });
  });
  afterAll(async () => {
    await authReg?.stop();
  });

  it('push needs --username and --password-stdin; pulls need the pull secret', async () => {
    const ref = `${authReg.host}/private/disk:v1`;
    const anonymous = push(disk, ref);
    expect(anonymous.status).toBe(1);
    expect(anonymous.stderr).toMatch(/asks for a user name and password/);
    const ok = push(disk, ref, ['--username', REGISTRY_USER, '--password-stdin'], `${REGISTRY_PASSWORD}\n`);
    expect(ok).toMatchObject({ status: 0, stdout: expect.stringMatching(/@sha256:[0-9a-f]{64}\n$/) });

    const p = new ImagePuller({ cacheDir: cache('c7') });
    await expect(p.pull({ image: ref })).rejects.toMatchObject({
      reason: 'ErrImagePull',
      message: expect.stringMatching(/asks for a user name and password and none was given/),
    });
    const secretData = {
      '.dockerconfigjson': Buffer.from(
        JSON.stringify({
          auths: {
            [authReg.host]: { auth: Buffer.from(`${REGISTRY_USER}:${REGISTRY_PASSWORD}`).toString('base64') },
          },
        }),
      ).toString('base64'),
    };
    const credentials = credentialsFromSecret(secretData, authReg.host);
    const withSecret = new ImagePuller({ cacheDir: cache('c8') });
    const got = await withSecret.pull({ image: ref, ...(credentials ? { credentials } : {}) });
    expect(sha(got.path)).toBe(sha(disk));
    const wrong = new ImagePuller({ cacheDir: cache('c9') });
    await expect(
      wrong.pull({ image: ref, credentials: { username: REGISTRY_USER, password: 'nope' } }),
    ).rejects.toMatchObject({
      message: expect.stringMatching(/401 Unauthorized/),
    });
  });
});

describe('files by path (containerDisk.path, kernelBoot)', () => {
  it('takes the kernel and initrd at their paths, once; refuses links and missing files', async () => {
    await pushFiles(reg.host, 'virtkit/kernel', 'v1', {
      'boot/': '',
      'boot/vmlinuz': 'KERNEL',
      'boot/initrd.img': 'INITRD',
      'boot/latest': '->vmlinuz',
      'etc/hosts': 'x',
    });
    const p = new ImagePuller({ cacheDir: cache('f1') });
    const image = `${reg.host}/virtkit/kernel:v1`;
    const got = await p.pullFiles({ image }, ['/boot/vmlinuz', '/boot/initrd.img']);
    expect(got.downloaded).toBe(true);
    expect(fs.readFileSync(got.files['/boot/vmlinuz'], 'utf8')).toBe('KERNEL');
    expect(fs.readFileSync(path.join(got.root, 'boot', 'initrd.img'), 'utf8')).toBe('INITRD');
    expect(fs.existsSync(path.join(got.root, 'etc'))).toBe(false);
    const again = await p.pullFiles({ image }, ['/boot/initrd.img', 'boot/vmlinuz']);
    expect(again).toMatchObject({ downloaded: false, root: got.root });
    await expect(p.pullFiles({ image }, ['/boot/latest', '/boot/missing'])).rejects.toMatchObject({
      reason: 'ErrImagePull',
      message: expect.stringMatching(
        /\/boot\/latest in the image is a symlink to vmlinuz; name the file itself; \/boot\/missing is not in the image/,
      ),
    });
    await expect(p.pullFiles({ image }, ['/boot/../etc/shadow'])).rejects.toThrow(
      /without '\.' or '\.\.' components/,
    );
  });

  it('containerDisk.path takes the disk by its path', async () => {
    const p = new ImagePuller({ cacheDir: cache('f2') });
    const got = await p.pullFiles({ image: pushed }, ['/disk/testdisk.qcow2']);
    expect(sha(got.files['/disk/testdisk.qcow2'])).toBe(sha(disk));
  });
});

describe('the handler resolving a VMI with registry images', () => {
  const client = (objects: Record<string, unknown>): KubeClient =>
    ({
      getIfExists: async (rt: { plural: string }, _ns: string, name: string) =>
        objects[`${rt.plural}/${name}`],
    }) as unknown as KubeClient;

  it('gives the launcher the cached base of each registry containerDisk and the kernelBoot root', async () => {
    await pushFiles(reg.host, 'virtkit/kb', 'v1', { 'boot/vmlinuz': 'K', 'boot/initrd': 'I' });
    const podDir = path.join(dir, 'pod-1');
    fs.mkdirSync(podDir);
    const puller = new ImagePuller({ cacheDir: cache('r1') });
    const out = await resolveLaunchResources(
      client({}),
      'default',
      [
        { name: 'root', containerDisk: { image: `${reg.host}/virtkit/disk:v1` } },
        { name: 'bypath', containerDisk: { image: pushed, path: '/disk/testdisk.qcow2' } },
      ],
      podDir,
      puller,
      { image: `${reg.host}/virtkit/kb:v1`, kernelPath: '/boot/vmlinuz', initrdPath: '/boot/initrd' },
    );
    expect(sha(out.containerDisks!.root)).toBe(sha(disk));
    expect(sha(out.containerDisks!.bypath)).toBe(sha(disk));
    expect(fs.readFileSync(path.join(out.containerDisks!.kernelBoot, 'boot', 'vmlinuz'), 'utf8')).toBe('K');
  });

  it("a missing pull secret and a missing tag are the volume's waiting reasons, with back-off", async () => {
    const podDir = path.join(dir, 'pod-2');
    fs.mkdirSync(podDir);
    const puller = new ImagePuller({ cacheDir: cache('r2') });
    const secretless = resolveLaunchResources(
      client({}),
      'ns1',
      [{ name: 'root', containerDisk: { image: `${reg.host}/virtkit/disk:v1`, imagePullSecret: 'regcred' } }],
      podDir,
      puller,
    );
    await expect(secretless).rejects.toThrow(VolumePrepareError);
    await expect(secretless).rejects.toThrow(
      /Secret ns1\/regcred \(the imagePullSecret of image .*\) does not exist/,
    );
    const missing = await resolveLaunchResources(
      client({}),
      'ns1',
      [{ name: 'root', containerDisk: { image: `${reg.host}/virtkit/disk:gone` } }],
      podDir,
      puller,
    ).catch((e: unknown) => e);
    expect(missing).toMatchObject({ reason: 'ErrImagePull', volume: 'root', retryMs: 1000 });
    expect((missing as Error).message).toMatch(/^volume root: Failed to pull image .*MANIFEST_UNKNOWN/);
  });
});
