/**
 * What a checked import plan needs from the cluster and the node (I/O): each claim's volume
 * directory on this node (claim → PersistentVolume → `spec.local.path`, through the volume
 * plan's claimDisk, confined to the node's volume root) or, for a `volumeMode: Block` claim, the
 * device node of the loop device this node's local provisioner attached for it (found from the
 * PersistentVolume with handler/storage's own layout, never from a path in the pod), the Secret
 * values its secretKeyRef env names (read with the handler's own client, kept in memory, handed to
 * the child's environment only), and the certConfigMap's bundle written to a 0600 file in the
 * pod's runner directory.
 */
import * as fs from 'fs';
import * as path from 'path';
import { HostPathError } from '../../api/host-path';
import { assertConfined, confinedRealPath } from '../../common/confine';
import {
  DATA_DEVICE_PATH,
  DATA_VOLUME_NAME,
  SOURCE_DEVICE_PATH,
  SOURCE_VOLUME_NAME,
} from '../../api/cdi/worker-pod';
import { CONFIG_MAPS, PVCS, PVS, SECRETS, type KubeClient } from '../../kube';
import { ownVolume } from '../storage/local-volume-plan';
import { claimDisk, filesOf, VolumePrepareError, type ClaimJson, type PvJson } from '../volumes/plan';
import type { ImportPlan } from './import-plan';

/** Something the pod has to wait for (it may appear), or a refusal (it will not change). */
export class PlanResolveError extends Error {
  constructor(
    /** The container's waiting reason, or 'Error' for a refusal. */
    readonly reason: string,
    message: string,
    /** True when waiting can help (a claim not bound yet, a Secret not created yet). */
    readonly retry: boolean,
  ) {
    super(message);
    this.name = 'PlanResolveError';
  }
}

export interface ResolvedPlan {
  /**
   * The target claim's volume directory; for a Block target, the importer's scratch directory
   * (`scratch` in the pod's runner directory: a device has no room for files).
   */
  readonly targetDir: string;
  /** A Block target's device node (in its volume's directory). */
  readonly targetDevice?: string;
  readonly sourceDir?: string;
  /** A Block source's device node. */
  readonly sourceDevice?: string;
  /** Env for the child: literal extra headers and the Secret values. Never logged. */
  readonly env: Readonly<Record<string, string>>;
  readonly caFile?: string;
}

/** Where a claim's data is on this node: its volume directory, or its Block volume's device node. */
export type ClaimVolume = { readonly dir: string } | { readonly device: string };

/** The volume directory of `claimName` on this node, confined to `volumeRoot`; a Block claim is refused. */
export async function claimDirectory(
  client: KubeClient,
  namespace: string,
  claimName: string,
  volume: string,
  volumeRoot: string,
): Promise<string> {
  const v = await claimVolume(client, namespace, claimName, volume, volumeRoot);
  if ('device' in v)
    throw new PlanResolveError(
      'Error',
      `volume ${volume}: PersistentVolumeClaim ${namespace}/${claimName} is volumeMode Block; a directory was expected`,
      false,
    );
  return v.dir;
}

/**
 * The device node of a Block claim's volume: only a Block PersistentVolume this node's local
 * provisioner made (handler/storage's layout: `<root>/<pv name>/device`), confined to the root,
 * and only once it is a block-special file (the provisioner attaches the loop device first).
 */
function blockDevice(pv: PvJson, volume: string, ref: string, volumeRoot: string): string {
  const own = ownVolume(pv, volumeRoot)?.block;
  if (!own)
    throw new PlanResolveError(
      'Error',
      `volume ${volume}: PersistentVolume ${pv.metadata?.name} of ${ref} is volumeMode Block but not a loop-device volume of this node's local provisioner (under ${volumeRoot}); the runner fills only those: use StorageClass local`,
      false,
    );
  try {
    assertConfined(volumeRoot, own.deviceNode, `PersistentVolume ${pv.metadata?.name} spec.local.path`);
  } catch (e) {
    if (e instanceof HostPathError)
      throw new PlanResolveError('Error', `volume ${volume}: ${e.message}`, false);
    throw e;
  }
  const st = fs.lstatSync(own.deviceNode, { throwIfNoEntry: false });
  if (!st)
    throw new PlanResolveError(
      'ContainerCreating',
      `volume ${volume}: the loop device of PersistentVolume ${pv.metadata?.name} is not attached on this node yet (${own.deviceNode})`,
      true,
    );
  if (!st.isBlockDevice())
    throw new PlanResolveError(
      'Error',
      `volume ${volume}: ${own.deviceNode} of PersistentVolume ${pv.metadata?.name} is not a block device node; the local provisioner makes it again once it is removed`,
      false,
    );
  return own.deviceNode;
}

/** Where the data of `claimName` is on this node: its directory or (Block) its device node. */
export async function claimVolume(
  client: KubeClient,
  namespace: string,
  claimName: string,
  volume: string,
  volumeRoot: string,
): Promise<ClaimVolume> {
  const claim = await client.getIfExists<ClaimJson>(PVCS, namespace, claimName);
  if (!claim)
    throw new PlanResolveError(
      'ContainerCreating',
      `volume ${volume}: PersistentVolumeClaim ${namespace}/${claimName} does not exist; create it`,
      true,
    );
  const pv = claim.spec?.volumeName
    ? await client.getIfExists<PvJson>(PVS, undefined, claim.spec.volumeName)
    : undefined;
  let disk;
  try {
    disk = claimDisk(volume, claim, pv);
  } catch (e) {
    if (e instanceof VolumePrepareError)
      throw new PlanResolveError(
        e.reason === 'ClaimNotBound' ? 'ContainerCreating' : 'Error',
        e.message,
        e.reason === 'ClaimNotBound',
      );
    throw e;
  }
  if (disk.block)
    return {
      device: blockDevice(pv!, volume, `PersistentVolumeClaim ${namespace}/${claimName}`, volumeRoot),
    };
  const dir = path.dirname(disk.path);
  try {
    assertConfined(volumeRoot, dir, `PersistentVolume ${claim.spec?.volumeName} spec.local.path`);
  } catch (e) {
    if (e instanceof HostPathError)
      throw new PlanResolveError(
        'Error',
        `volume ${volume}: ${e.message}; the runner fills only this node's local volumes (under ${volumeRoot})`,
        false,
      );
    throw e;
  }
  if (path.resolve(dir) === path.resolve(volumeRoot))
    throw new PlanResolveError(
      'Error',
      `volume ${volume}: the PersistentVolume's path is the volume root itself`,
      false,
    );
  if (!fs.existsSync(dir))
    throw new PlanResolveError(
      'ContainerCreating',
      `volume ${volume}: the directory ${dir} of PersistentVolume ${claim.spec?.volumeName} does not exist on this node yet`,
      true,
    );
  return { dir };
}

/**
 * The claim as the pod takes it must match its volume, as kubelet requires: a Block claim only
 * as a volumeDevice, a Filesystem claim only as a volumeMount.
 */
function checkUse(v: ClaimVolume, asDevice: boolean, volume: string, namespace: string, claim: string): void {
  const block = 'device' in v;
  if (block === asDevice) return;
  const devicePath = volume === DATA_VOLUME_NAME ? DATA_DEVICE_PATH : SOURCE_DEVICE_PATH;
  throw new PlanResolveError(
    'Error',
    block
      ? `volume ${volume}: PersistentVolumeClaim ${namespace}/${claim} is volumeMode Block; the container must take it as a volumeDevice (devicePath ${devicePath}), not a volumeMount; delete the pod and let the DataVolume controller make it again`
      : `volume ${volume}: PersistentVolumeClaim ${namespace}/${claim} is volumeMode Filesystem; the container must mount it (volumeMounts), not take it as a volumeDevice; delete the pod and let the DataVolume controller make it again`,
    false,
  );
}

async function secretValues(client: KubeClient, plan: ImportPlan): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const cache = new Map<string, { data?: Record<string, string> } | undefined>();
  for (const s of plan.secretEnv) {
    if (!cache.has(s.secret))
      cache.set(
        s.secret,
        await client.getIfExists<{ data?: Record<string, string> }>(SECRETS, plan.namespace, s.secret),
      );
    const secret = cache.get(s.secret);
    const raw = secret?.data?.[s.key];
    if (raw === undefined) {
      if (s.optional) continue;
      // kubelet's reason for a pod whose env names a missing Secret or key.
      throw new PlanResolveError(
        'CreateContainerConfigError',
        secret
          ? `couldn't find key ${s.key} in Secret ${plan.namespace}/${s.secret} (env ${s.env}); add the key to the Secret`
          : `secret "${s.secret}" not found (env ${s.env}); create Secret ${plan.namespace}/${s.secret}`,
        true,
      );
    }
    const value = Buffer.from(raw, 'base64').toString('utf8');
    if (/[\0\r\n]/.test(value))
      throw new PlanResolveError(
        'CreateContainerConfigError',
        `key ${s.key} of Secret ${plan.namespace}/${s.secret} (env ${s.env}) has a line break or NUL; store the bare value`,
        true,
      );
    out[s.env] = value;
  }
  return out;
}

/** Writes the certConfigMap's certificates (every key, in key order) to `dir`/ca.pem, 0600. */
async function writeBundle(
  client: KubeClient,
  plan: ImportPlan,
  configMap: string,
  dir: string,
): Promise<string> {
  const cm = await client.getIfExists<Parameters<typeof filesOf>[1]>(CONFIG_MAPS, plan.namespace, configMap);
  if (!cm)
    throw new PlanResolveError(
      'ContainerCreating',
      `configmap "${configMap}" not found (the certConfigMap); create ConfigMap ${plan.namespace}/${configMap} with the CA certificate`,
      true,
    );
  const files = filesOf('configMap', cm);
  const bundle = Object.keys(files)
    .sort()
    .map((k) => files[k].toString('utf8').trim())
    .join('\n');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = confinedRealPath(dir, 'ca.pem', 'the runner directory file ca.pem');
  fs.rmSync(file, { force: true });
  fs.writeFileSync(file, `${bundle}\n`, { mode: 0o600, flag: 'wx' });
  return file;
}

export async function resolvePlan(
  client: KubeClient,
  plan: ImportPlan,
  volumeRoot: string,
  /** The pod's runner directory (for the CA bundle). */
  podDir: string,
): Promise<ResolvedPlan> {
  const target = await claimVolume(client, plan.namespace, plan.targetClaim, DATA_VOLUME_NAME, volumeRoot);
  checkUse(target, plan.targetBlock === true, DATA_VOLUME_NAME, plan.namespace, plan.targetClaim);
  const source = plan.sourceClaim
    ? await claimVolume(client, plan.namespace, plan.sourceClaim, SOURCE_VOLUME_NAME, volumeRoot)
    : undefined;
  if (source && plan.sourceClaim)
    checkUse(source, plan.sourceBlock === true, SOURCE_VOLUME_NAME, plan.namespace, plan.sourceClaim);
  const where = (v: ClaimVolume): string => path.resolve('dir' in v ? v.dir : v.device);
  if (source && where(source) === where(target))
    throw new PlanResolveError('Error', 'the source and the target claims share one volume directory', false);
  const env = { ...plan.literalEnv, ...(await secretValues(client, plan)) };
  const caFile = plan.certConfigMap ? await writeBundle(client, plan, plan.certConfigMap, podDir) : undefined;
  // A device holds no files: the importer's scratch goes to the pod's own runner directory.
  let targetDir: string;
  if ('dir' in target) targetDir = target.dir;
  else {
    fs.mkdirSync(podDir, { recursive: true, mode: 0o700 });
    targetDir = confinedRealPath(podDir, 'scratch', 'the runner directory file scratch');
    fs.mkdirSync(targetDir, { recursive: true, mode: 0o700 });
  }
  return {
    targetDir,
    ...('device' in target ? { targetDevice: target.device } : {}),
    ...(source && 'dir' in source ? { sourceDir: source.dir } : {}),
    ...(source && 'device' in source ? { sourceDevice: source.device } : {}),
    env,
    ...(caFile ? { caFile } : {}),
  };
}
