/**
 * The registry source against a real registry (Debian's docker-registry on loopback): a
 * container disk holding a qcow2 lands as a raw disk.img of CDI's size with the image's content;
 * a missing tag and an image without /disk/ fail with CDI's words and leave nothing behind.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Readable } from 'stream';
import * as zlib from 'zlib';
import { TestRegistry } from '../../test/fixtures/registry';
import { MEDIA_TYPES, RegistryClient, sha256Digest } from '../../common/oci/client';
import { buildLayer, imageConfig, imageManifest } from '../../common/oci/container-disk';
import { tarOf } from '../../common/oci/tar.test-helper';
import { importRegistry } from './registry-source';
import { registryImageOf } from './source-url';

jest.setTimeout(120_000);
const Mi = 1024 * 1024;
let reg: TestRegistry;
let work: string;

async function pushLayer(repo: string, tag: string, gz: Buffer, diffId: string): Promise<void> {
  const client = new RegistryClient({ registry: reg.host });
  const config = imageConfig(diffId);
  const layer = { mediaType: MEDIA_TYPES.ociLayerGzip, digest: sha256Digest(gz), size: gz.length };
  const configDesc = { mediaType: MEDIA_TYPES.ociConfig, digest: sha256Digest(config), size: config.length };
  await client.pushBlob(repo, layer, () => Readable.from([gz]));
  await client.pushBlob(repo, configDesc, () => Readable.from([config]));
  await client.putManifest(repo, tag, imageManifest(configDesc, [layer]), MEDIA_TYPES.ociManifest);
}

beforeAll(async () => {
  reg = await TestRegistry.start();
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-regimport-'));
  const qcow2 = path.join(work, 'disk.qcow2');
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', qcow2, String(4 * Mi)]);
  execFileSync('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0xab 0 1M', qcow2], { stdio: 'pipe' });
  const built = await buildLayer(qcow2, path.join(work, 'layer.tgz'));
  await pushLayer('virtkit/disk', 'v1', fs.readFileSync(built.file), built.diffId);
  const noDisk = await tarOf([{ name: 'etc/hostname', body: 'x' }]);
  await pushLayer('virtkit/nodisk', 'v1', zlib.gzipSync(noDisk), sha256Digest(noDisk));
});

afterAll(async () => {
  await reg?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

it('imports the qcow2 of a container disk as a raw disk.img of the target size', async () => {
  const dir = fs.mkdtempSync(path.join(work, 'pvc-'));
  const progress: string[] = [];
  const r = await importRegistry({
    endpoint: `docker://${reg.host}/virtkit/disk:v1`,
    targetDir: dir,
    requestedBytes: 64 * Mi,
    onProgress: (p) => progress.push(p),
  });
  expect(r).toMatchObject({ size: 60 * Mi, sourceFormat: 'qcow2', sourceVirtualSize: 4 * Mi });
  expect(r.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  expect(fs.readdirSync(dir)).toEqual(['disk.img']);
  const disk = fs.readFileSync(path.join(dir, 'disk.img'));
  expect(disk.length).toBe(60 * Mi);
  expect(disk.subarray(0, Mi).every((b) => b === 0xab)).toBe(true);
  expect(disk.subarray(Mi, 4 * Mi).every((b) => b === 0)).toBe(true);
  expect(progress).toEqual(['0.00%', '100.00%']);
});

it("a missing tag and an image without /disk/ fail with CDI's words and leave no file", async () => {
  const dir = fs.mkdtempSync(path.join(work, 'pvc-'));
  await expect(
    importRegistry({
      endpoint: `docker://${reg.host}/virtkit/disk:nope`,
      targetDir: dir,
      requestedBytes: 64 * Mi,
    }),
  ).rejects.toMatchObject({
    reason: 'RegistryPullFailed',
    message: expect.stringMatching(
      /^Unable to process data: Unable to transfer source data to scratch space: Failed to read registry image: .*MANIFEST_UNKNOWN.*no such image or tag/,
    ),
  });
  await expect(
    importRegistry({
      endpoint: `docker://${reg.host}/virtkit/nodisk:v1`,
      targetDir: dir,
      requestedBytes: 64 * Mi,
    }),
  ).rejects.toThrow(
    /Failed to read registry image: Failed to find VM disk image file in the container image/,
  );
  expect(fs.readdirSync(dir)).toEqual([]);
});

it('refuses endpoints that are not docker:// image references', () => {
  expect(() => registryImageOf('https://example.com/x')).toThrow(/does not start with docker:\/\//);
  expect(() => registryImageOf('docker://Bad..Name')).toThrow(/spec.source.registry.url/);
  expect(registryImageOf('docker://quay.io/containerdisks/fedora:40')).toBe(
    'quay.io/containerdisks/fedora:40',
  );
});
