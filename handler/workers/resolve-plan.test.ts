/**
 * A plan's claims, Secrets and certConfigMap as the runner resolves them, against objects served
 * by a stand-in for the client's GET: directories confined to the volume root, Secret values for
 * the child's environment only, the CA bundle in a 0600 file, and what waits versus what refuses.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { KubeClient } from '../../kube';
import type { ImportPlan } from './import-plan';
import { PlanResolveError, resolvePlan } from './resolve-plan';

let work: string;
let root: string;
beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'vk-resolve-'));
  root = path.join(work, 'volumes');
  fs.mkdirSync(path.join(root, 'pvc-a'), { recursive: true });
  fs.mkdirSync(path.join(root, 'pvc-b'), { recursive: true });
  fs.mkdirSync(path.join(work, 'elsewhere'));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const claim = (name: string, volumeName?: string): unknown => ({
  metadata: { name, namespace: 'ns' },
  spec: { ...(volumeName ? { volumeName } : {}), resources: { requests: { storage: '1Gi' } } },
  status: { phase: volumeName ? 'Bound' : 'Pending' },
});
const pv = (name: string, dir: string): unknown => ({ metadata: { name }, spec: { local: { path: dir } } });

function client(objects: Record<string, unknown>): KubeClient {
  return {
    getIfExists: async (rt: { plural: string }, _ns: string, name: string) => objects[`${rt.plural}/${name}`],
  } as unknown as KubeClient;
}

const objects = (): Record<string, unknown> => ({
  'persistentvolumeclaims/disk': claim('disk', 'pv-a'),
  'persistentvolumes/pv-a': pv('pv-a', path.join(root, 'pvc-a')),
  'persistentvolumeclaims/golden': claim('golden', 'pv-b'),
  'persistentvolumes/pv-b': pv('pv-b', path.join(root, 'pvc-b')),
  'secrets/creds': { data: { accessKeyId: b64('alice'), secretKey: b64('s3cret') } },
  'configmaps/ca': { data: { 'b.crt': 'CERT-B\n', 'a.crt': 'CERT-A' } },
});

const plan = (more: Partial<ImportPlan> = {}): ImportPlan => ({
  namespace: 'ns',
  name: 'importer-disk',
  uid: 'u',
  source: 'http',
  endpoint: 'http://x/disk.img',
  requestedBytes: 2 ** 30,
  insecureTls: false,
  targetClaim: 'disk',
  literalEnv: { IMPORTER_EXTRA_HEADER_0: 'X-A: 1' },
  secretEnv: [
    { env: 'IMPORTER_ACCESS_KEY_ID', secret: 'creds', key: 'accessKeyId', optional: false },
    { env: 'IMPORTER_SECRET_KEY', secret: 'creds', key: 'secretKey', optional: false },
  ],
  ...more,
});

async function refusal(p: Promise<unknown>): Promise<PlanResolveError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(PlanResolveError);
  return e as PlanResolveError;
}

it('resolves the directories, the Secret values and the CA bundle (0600, keys in order)', async () => {
  const podDir = path.join(work, 'workers', 'u');
  const r = await resolvePlan(
    client(objects()),
    plan({ certConfigMap: 'ca', source: 'pvc', sourceClaim: 'golden' }),
    root,
    podDir,
  );
  expect(r).toEqual({
    targetDir: path.join(root, 'pvc-a'),
    sourceDir: path.join(root, 'pvc-b'),
    env: {
      IMPORTER_EXTRA_HEADER_0: 'X-A: 1',
      IMPORTER_ACCESS_KEY_ID: 'alice',
      IMPORTER_SECRET_KEY: 's3cret',
    },
    caFile: path.join(podDir, 'ca.pem'),
  });
  expect(fs.readFileSync(r.caFile!, 'utf8')).toBe('CERT-A\nCERT-B\n');
  expect(fs.statSync(r.caFile!).mode & 0o777).toBe(0o600);
});

it('waits for a claim that is missing or not bound, a Secret or key not there yet, a ConfigMap not there yet', async () => {
  const o = objects();
  const cases: [Record<string, unknown>, Partial<ImportPlan>, string, RegExp][] = [
    [
      { ...o, 'persistentvolumeclaims/disk': undefined },
      {},
      'ContainerCreating',
      /PersistentVolumeClaim ns\/disk does not exist/,
    ],
    [
      { ...o, 'persistentvolumeclaims/disk': claim('disk') },
      {},
      'ContainerCreating',
      /is not bound to a PersistentVolume yet/,
    ],
    [
      { ...o, 'secrets/creds': undefined },
      {},
      'CreateContainerConfigError',
      /secret "creds" not found \(env IMPORTER_ACCESS_KEY_ID\)/,
    ],
    [
      { ...o, 'secrets/creds': { data: {} } },
      {},
      'CreateContainerConfigError',
      /couldn't find key accessKeyId in Secret ns\/creds/,
    ],
    [o, { certConfigMap: 'nope' }, 'ContainerCreating', /configmap "nope" not found/],
  ];
  for (const [objs, more, reason, message] of cases) {
    const e = await refusal(resolvePlan(client(objs), plan(more), root, path.join(work, 'w2')));
    expect(e).toMatchObject({ reason, retry: true });
    expect(e.message).toMatch(message);
  }
});

it('refuses a volume outside the node volume root, a block volume, and a shared source and target', async () => {
  const outside = await refusal(
    resolvePlan(
      client({ ...objects(), 'persistentvolumes/pv-a': pv('pv-a', path.join(work, 'elsewhere')) }),
      plan(),
      root,
      path.join(work, 'w3'),
    ),
  );
  expect(outside).toMatchObject({ reason: 'Error', retry: false });
  expect(outside.message).toMatch(/outside .*the runner fills only this node's local volumes/);
  const block = await refusal(
    resolvePlan(
      client({
        ...objects(),
        'persistentvolumeclaims/disk': {
          ...(claim('disk', 'pv-a') as object),
          spec: { volumeName: 'pv-a', volumeMode: 'Block' },
        },
      }),
      plan(),
      root,
      path.join(work, 'w4'),
    ),
  );
  expect(block.message).toMatch(/volumeMode Block/);
  const shared = await refusal(
    resolvePlan(
      client({ ...objects(), 'persistentvolumeclaims/golden': claim('golden', 'pv-a') }),
      plan({ source: 'pvc', sourceClaim: 'golden' }),
      root,
      path.join(work, 'w5'),
    ),
  );
  expect(shared.message).toMatch(/share one volume directory/);
});

describe('a volumeMode Block claim', () => {
  // A block-special node like the one the local provisioner makes (mknod needs root, as the handler has).
  const asRoot = process.getuid?.() === 0 ? it : it.skip;
  const blockPv = (name: string, withAnnotation = true): unknown => ({
    metadata: {
      name,
      ...(withAnnotation
        ? { annotations: { 'pv.kubernetes.io/provisioned-by': 'virtkit.io/local-volume' } }
        : {}),
    },
    spec: { volumeMode: 'Block', local: { path: path.join(root, name, 'device') } },
  });
  const blockClaim = (name: string, volumeName: string): unknown => ({
    metadata: { name, namespace: 'ns' },
    spec: { volumeName, volumeMode: 'Block', resources: { requests: { storage: '1Gi' } } },
    status: { phase: 'Bound' },
  });
  let node: string;
  beforeAll(() => {
    for (const d of ['pvc-blk', 'pvc-blk2', 'pvc-nodev'])
      fs.mkdirSync(path.join(root, d), { recursive: true });
    node = path.join(root, 'pvc-blk', 'device');
    if (process.getuid?.() === 0) {
      execFileSync('mknod', ['-m', '0600', node, 'b', '7', '250']);
      execFileSync('mknod', ['-m', '0600', path.join(root, 'pvc-blk2', 'device'), 'b', '7', '251']);
    }
  });
  const blockObjects = (): Record<string, unknown> => ({
    ...objects(),
    'persistentvolumeclaims/disk': blockClaim('disk', 'pvc-blk'),
    'persistentvolumes/pvc-blk': blockPv('pvc-blk'),
    'persistentvolumeclaims/golden': blockClaim('golden', 'pvc-blk2'),
    'persistentvolumes/pvc-blk2': blockPv('pvc-blk2'),
  });

  asRoot(
    "resolves to the loop device node the provisioner made, never a path from the pod; scratch in the pod's directory",
    async () => {
      const podDir = path.join(work, 'workers', 'blk');
      const r = await resolvePlan(client(blockObjects()), plan({ targetBlock: true }), root, podDir);
      expect(r.targetDevice).toBe(node);
      expect(r.targetDir).toBe(path.join(fs.realpathSync(podDir), 'scratch'));
      expect(fs.statSync(r.targetDir).isDirectory()).toBe(true);
      // Block → Block clone: both devices; Filesystem → Block: a directory and a device.
      const clone = await resolvePlan(
        client(blockObjects()),
        plan({ source: 'pvc', sourceClaim: 'golden', targetBlock: true, sourceBlock: true }),
        root,
        podDir,
      );
      expect(clone).toMatchObject({
        targetDevice: node,
        sourceDevice: path.join(root, 'pvc-blk2', 'device'),
      });
      const mixed = await resolvePlan(
        client({ ...blockObjects(), 'persistentvolumeclaims/golden': claim('golden', 'pv-b') }),
        plan({ source: 'pvc', sourceClaim: 'golden', targetBlock: true }),
        root,
        podDir,
      );
      expect(mixed).toMatchObject({ targetDevice: node, sourceDir: path.join(root, 'pvc-b') });
      expect(mixed.sourceDevice).toBeUndefined();
    },
  );

  asRoot(
    'refuses a Block claim taken as a mount, a Filesystem claim taken as a device, and a volume not ours',
    async () => {
      const mounted = await refusal(
        resolvePlan(client(blockObjects()), plan(), root, path.join(work, 'wb1')),
      );
      expect(mounted).toMatchObject({ reason: 'Error', retry: false });
      expect(mounted.message).toMatch(
        /volumeMode Block; the container must take it as a volumeDevice \(devicePath \/dev\/cdi-block-volume\)/,
      );
      const asDevice = await refusal(
        resolvePlan(client(objects()), plan({ targetBlock: true }), root, path.join(work, 'wb2')),
      );
      expect(asDevice.message).toMatch(/volumeMode Filesystem; the container must mount it/);
      const foreign = await refusal(
        resolvePlan(
          client({ ...blockObjects(), 'persistentvolumes/pvc-blk': blockPv('pvc-blk', false) }),
          plan({ targetBlock: true }),
          root,
          path.join(work, 'wb3'),
        ),
      );
      expect(foreign).toMatchObject({ reason: 'Error', retry: false });
      expect(foreign.message).toMatch(/not a loop-device volume of this node's local provisioner/);
    },
  );

  it('waits while the loop device node is not there yet', async () => {
    const e = await refusal(
      resolvePlan(
        client({
          ...objects(),
          'persistentvolumeclaims/disk': blockClaim('disk', 'pvc-nodev'),
          'persistentvolumes/pvc-nodev': blockPv('pvc-nodev'),
        }),
        plan({ targetBlock: true }),
        root,
        path.join(work, 'wb4'),
      ),
    );
    expect(e).toMatchObject({ reason: 'ContainerCreating', retry: true });
    expect(e.message).toMatch(/loop device of PersistentVolume pvc-nodev is not attached on this node yet/);
  });
});
