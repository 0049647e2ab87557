/**
 * `virtkit image-upload dv|pvc NAME --image-path FILE [--size 10Gi] [--storage-class C]
 * [--access-mode M] [--volume-mode filesystem|block] [--uploadproxy-url URL] [--insecure]
 * [--no-create] [--wait-secs 300] [--force-bind]`: virtctl's image-upload, with its flags,
 * meanings and lines.
 *
 * 1. The target: `dv` creates a DataVolume with `source.upload`, `pvc` a claim annotated as an
 *    upload target (CDI's `cdi.kubevirt.io/storage.upload.target`); an existing one is used
 *    ("Using existing PVC NS/NAME"), and given the annotation when it lacks it; --no-create
 *    never creates.
 * 2. It waits (--wait-secs) until the target is ready for an upload: the DataVolume's phase
 *    UploadReady, or the claim's `cdi.kubevirt.io/storage.pod.ready` annotation; virtkit also
 *    accepts the upload pod's own Ready condition, so a claim whose pod was made without CDI's
 *    controller works too.
 * 3. It asks the aggregated API `upload.cdi.kubevirt.io/v1beta1` for an UploadTokenRequest and
 *    POSTs the file to the upload proxy with `Authorization: Bearer <token>`, showing progress.
 *    As virtctl, it probes `HEAD /v1beta1/upload-async` and sends to the async path, which is
 *    answered as soon as the whole file is received and saved; only a proxy that answers the
 *    probe 404 (or 405) gets the sync path `/v1beta1/upload`. The token is never printed.
 * 4. It waits for processing: the claim's `cdi.kubevirt.io/storage.pod.phase` (or the upload
 *    pod's phase) Succeeded. Processing that fails after an async answer fails the upload pod
 *    (as CDI's upload server does); that failure is printed and the command exits 1 instead of
 *    waiting on.
 *
 * The proxy's URL: --uploadproxy-url, else CDIConfig `config` status.uploadProxyURL (a cluster
 * with CDI), else the URL `virtkit up` wrote to its state folder (`upload-proxy-url` in
 * $VIRTKIT_STATE_DIR or ./.virtkit). Its certificate is checked against the system's CAs and the
 * kubeconfig's CA (local mode's, which signs `virtkit api`'s certificate) unless --insecure.
 *
 * Exit codes: 0 uploaded and processed, 1 a failure (the reason is printed), 2 usage.
 */
import type { Command } from 'commander';
import * as fs from 'fs';
import * as https from 'https';
import * as http from 'http';
import * as path from 'path';
import * as tls from 'tls';
import {
  UPLOAD_API_VERSION,
  UPLOAD_TOKEN_REQUEST_KIND,
  UPLOAD_TOKEN_REQUESTS,
} from '../../api/cdi/upload-api';
import { uploadPodName } from '../../api/cdi/upload-pod';
import {
  BIND_IMMEDIATE_ANNOTATION,
  CONTENT_TYPE_ANNOTATION,
  POD_PHASE_ANNOTATION,
  POD_READY_ANNOTATION,
  UPLOAD_POD_ANNOTATION,
  UPLOAD_REQUEST_ANNOTATION,
} from '../../api/cdi/worker-pod';
import { parseQuantity } from '../../api/quantity';
import type { KubeClient } from '../../kube/client';
import { DATA_VOLUMES, PODS, PVCS, type ResourceType } from '../../kube/resources';
import { resolveStateDir } from '../local/cli-options';
import { addKubeFlags, connectionOf, type KubeFlags } from '../kube-flags';
import { consoleProgress, type Progress } from './image';
import { refusalMessage, usageExitCodes } from './vm-state';

export interface ImageUploadFlags extends KubeFlags {
  readonly imagePath?: string;
  readonly size?: string;
  readonly storageClass?: string;
  readonly accessMode?: string;
  readonly volumeMode?: string;
  readonly uploadproxyUrl?: string;
  readonly insecure?: boolean;
  readonly noCreate?: boolean;
  readonly waitSecs?: string;
  readonly forceBind?: boolean;
}

export class UploadUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UploadUsageError';
  }
}

/** The checked request (pure). */
export interface UploadRequest {
  readonly kind: 'dv' | 'pvc';
  readonly name: string;
  readonly imagePath: string;
  readonly size?: string;
  readonly storageClass?: string;
  readonly accessMode?: string;
  readonly volumeMode?: 'filesystem' | 'block';
  readonly uploadProxyUrl?: string;
  readonly insecure: boolean;
  readonly noCreate: boolean;
  readonly waitSeconds: number;
  readonly forceBind: boolean;
}

const ACCESS_MODES = ['ReadWriteOnce', 'ReadWriteMany', 'ReadWriteOncePod', 'ReadOnlyMany'];
const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** The proxy URL with a scheme (virtctl adds https:// to a bare host). */
export function proxyUrlOf(raw: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `https://${raw}`;
  let u: URL;
  try {
    u = new URL(withScheme);
  } catch {
    throw new UploadUsageError(`--uploadproxy-url ${raw}: not a URL; give https://HOST[:PORT]`);
  }
  if (u.protocol !== 'https:')
    throw new UploadUsageError(
      `--uploadproxy-url ${raw}: the upload proxy speaks HTTPS; give https://HOST[:PORT]`,
    );
  return withScheme.replace(/\/+$/, '');
}

/** Checks the arguments and flags, gathering every problem (pure). */
export function parseUploadRequest(args: readonly string[], flags: ImageUploadFlags): UploadRequest {
  const problems: string[] = [];
  const [kindArg, name] = args;
  const kind = kindArg?.toLowerCase();
  if (args.length !== 2) problems.push('expecting two args: dv|pvc NAME');
  else if (kind !== 'dv' && kind !== 'pvc') problems.push(`invalid resource type ${kindArg}; use dv or pvc`);
  if (name !== undefined && (!NAME.test(name) || name.length > 253))
    problems.push(`${JSON.stringify(name)} is not a valid DataVolume/PersistentVolumeClaim name`);
  if (!flags.imagePath) problems.push('--image-path is required: the local disk image to upload');
  if (!flags.noCreate && !flags.size)
    problems.push('when creating a resource, the size must be specified (--size 10Gi), or give --no-create');
  if (flags.size !== undefined && parseQuantity(flags.size) === undefined)
    problems.push(`validation failed for size=${flags.size}: not a quantity such as 10Gi or 500Mi`);
  if (flags.accessMode !== undefined) {
    if (flags.accessMode === 'ReadOnlyMany')
      problems.push(
        'cannot upload to a readonly volume, use either ReadWriteOnce or ReadWriteMany if supported',
      );
    else if (!ACCESS_MODES.includes(flags.accessMode))
      problems.push(
        `--access-mode ${flags.accessMode}: use ReadWriteOnce, ReadWriteMany or ReadWriteOncePod`,
      );
  }
  if (flags.volumeMode !== undefined && flags.volumeMode !== 'filesystem' && flags.volumeMode !== 'block')
    problems.push(`--volume-mode ${flags.volumeMode}: use filesystem or block`);
  const waitText = flags.waitSecs ?? '300';
  if (!/^\d{1,7}$/.test(waitText)) problems.push(`--wait-secs ${waitText}: give a whole number of seconds`);
  let proxy: string | undefined;
  if (flags.uploadproxyUrl !== undefined) {
    try {
      proxy = proxyUrlOf(flags.uploadproxyUrl);
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  if (problems.length) throw new UploadUsageError(problems.join('; '));
  return {
    kind: kind as 'dv' | 'pvc',
    name: name!,
    imagePath: flags.imagePath!,
    ...(flags.size !== undefined ? { size: flags.size } : {}),
    ...(flags.storageClass ? { storageClass: flags.storageClass } : {}),
    ...(flags.accessMode ? { accessMode: flags.accessMode } : {}),
    ...(flags.volumeMode ? { volumeMode: flags.volumeMode as 'filesystem' | 'block' } : {}),
    ...(proxy ? { uploadProxyUrl: proxy } : {}),
    insecure: !!flags.insecure,
    noCreate: !!flags.noCreate,
    waitSeconds: Number(waitText),
    forceBind: !!flags.forceBind,
  };
}

function storageSpec(r: UploadRequest): Record<string, unknown> {
  return {
    resources: { requests: { storage: r.size } },
    ...(r.storageClass ? { storageClassName: r.storageClass } : {}),
    ...(r.accessMode ? { accessModes: [r.accessMode] } : {}),
    ...(r.volumeMode ? { volumeMode: r.volumeMode === 'block' ? 'Block' : 'Filesystem' } : {}),
  };
}

/** The DataVolume virtctl creates: `source.upload` and the storage asked for (pure). */
export function uploadDataVolume(r: UploadRequest, namespace: string): Record<string, unknown> {
  return {
    apiVersion: 'cdi.kubevirt.io/v1beta1',
    kind: 'DataVolume',
    metadata: {
      name: r.name,
      namespace,
      ...(r.forceBind ? { annotations: { [BIND_IMMEDIATE_ANNOTATION]: '' } } : {}),
    },
    spec: { source: { upload: {} }, storage: storageSpec(r) },
  };
}

/** The claim virtctl's `pvc` form creates: CDI's upload annotations (pure). */
export function uploadClaim(r: UploadRequest, namespace: string): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      name: r.name,
      namespace,
      annotations: {
        [UPLOAD_REQUEST_ANNOTATION]: '',
        [CONTENT_TYPE_ANNOTATION]: 'kubevirt',
        ...(r.forceBind ? { [BIND_IMMEDIATE_ANNOTATION]: '' } : {}),
      },
    },
    spec: { accessModes: [r.accessMode ?? 'ReadWriteOnce'], ...storageSpec(r) },
  };
}

const UPLOAD_TOKEN_REQUEST_TYPE: ResourceType = {
  apiVersion: UPLOAD_API_VERSION,
  kind: UPLOAD_TOKEN_REQUEST_KIND,
  plural: UPLOAD_TOKEN_REQUESTS,
  namespaced: true,
};
const CDI_CONFIGS: ResourceType = {
  apiVersion: 'cdi.kubevirt.io/v1beta1',
  kind: 'CDIConfig',
  plural: 'cdiconfigs',
  namespaced: false,
};

interface ClaimJson {
  metadata?: { name?: string; annotations?: Record<string, string> };
}
interface TerminatedJson {
  exitCode?: number;
  message?: string;
}
interface PodJson {
  status?: {
    phase?: string;
    conditions?: { type?: string; status?: string }[];
    containerStatuses?: {
      restartCount?: number;
      state?: { terminated?: TerminatedJson };
      lastState?: { terminated?: TerminatedJson };
    }[];
  };
}
interface DataVolumeJson {
  spec?: { source?: { upload?: unknown } };
  status?: { phase?: string; claimName?: string };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type Out = (line: string) => void;

async function uploadPodOf(
  client: KubeClient,
  ns: string,
  claim: ClaimJson | undefined,
  name: string,
): Promise<PodJson | undefined> {
  const podName = claim?.metadata?.annotations?.[UPLOAD_POD_ANNOTATION] ?? uploadPodName(name);
  return client.getIfExists<PodJson>(PODS, ns, podName).catch(() => undefined);
}

const podReady = (p: PodJson | undefined): boolean =>
  p?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** Gets or creates the target; answers nothing (the wait that follows reads it). */
async function prepareTarget(client: KubeClient, r: UploadRequest, ns: string, out: Out): Promise<void> {
  const claim = await client.getIfExists<ClaimJson>(PVCS, ns, r.name);
  if (!claim) {
    out(`PVC ${ns}/${r.name} not found`);
    if (r.noCreate) throw new Error(`persistentvolumeclaims "${r.name}" not found (--no-create)`);
    if (r.kind === 'pvc') {
      await client.create(PVCS, ns, uploadClaim(r, ns));
      out(`PersistentVolumeClaim ${ns}/${r.name} created`);
    } else {
      await client.create(DATA_VOLUMES, ns, uploadDataVolume(r, ns));
      out(`DataVolume ${ns}/${r.name} created`);
    }
    return;
  }
  if (!r.noCreate && !r.size) throw new Error('PVC creation requires specifying a size');
  if (r.kind === 'dv') {
    const dv = await client.getIfExists<DataVolumeJson>(DATA_VOLUMES, ns, r.name).catch(() => undefined);
    if (!dv?.spec?.source?.upload)
      throw new Error(
        `PVC ${r.name} not available for upload: it is not the claim of a DataVolume with source.upload`,
      );
  }
  const ann = claim.metadata?.annotations ?? {};
  if (
    ann[POD_PHASE_ANNOTATION] === 'Succeeded' ||
    (await uploadPodOf(client, ns, claim, r.name))?.status?.phase === 'Succeeded'
  )
    throw new Error(`PVC ${r.name} already successfully imported/cloned/updated`);
  if (!r.noCreate && !(UPLOAD_REQUEST_ANNOTATION in ann))
    throw new Error(`PVC ${r.name} not available for upload`);
  if (!(UPLOAD_REQUEST_ANNOTATION in ann))
    await client.mergePatch(PVCS, ns, r.name, {
      metadata: { annotations: { [UPLOAD_REQUEST_ANNOTATION]: '' } },
    });
  out(`Using existing PVC ${ns}/${r.name}`);
}

/** Waits until the target takes an upload (virtctl's waitUploadServerReady / waitDvUploadScheduled). */
async function waitReady(client: KubeClient, r: UploadRequest, ns: string, out: Out): Promise<void> {
  const until = Date.now() + r.waitSeconds * 1000;
  let logged = false;
  for (;;) {
    let done = false;
    if (r.kind === 'dv') {
      const dv = await client.getIfExists<DataVolumeJson>(DATA_VOLUMES, ns, r.name);
      if (!dv) out(`DV ${r.name} not found... `);
      const phase = dv?.status?.phase;
      if ((phase === 'WaitForFirstConsumer' || phase === 'PendingPopulation') && !r.forceBind)
        throw new Error(
          `cannot upload to DataVolume in ${phase} phase, make sure the PVC is Bound, or use force-bind flag`,
        );
      done = phase === 'UploadReady';
    } else {
      const claim = await client.getIfExists<ClaimJson>(PVCS, ns, r.name);
      done =
        claim?.metadata?.annotations?.[POD_READY_ANNOTATION] === 'true' ||
        (claim !== undefined && podReady(await uploadPodOf(client, ns, claim, r.name)));
    }
    if (done) {
      if (logged) out('Pod now ready');
      return;
    }
    if (!logged) {
      out(`Waiting for PVC ${r.name} upload pod to be ready...`);
      logged = true;
    }
    if (Date.now() >= until)
      throw new Error(
        `timed out waiting for the condition: the upload pod of PVC ${r.name} was not ready within ${r.waitSeconds}s`,
      );
    await sleep(2000);
  }
}

/** The proxy URL (see the header): flag, CDIConfig, local mode's state folder. */
export async function findUploadProxyUrl(
  client: KubeClient | undefined,
  flag: string | undefined,
  stateDir: string,
): Promise<string> {
  if (flag) return flag;
  const cfg = client
    ? await client
        .getIfExists<{ status?: { uploadProxyURL?: string } }>(CDI_CONFIGS, undefined, 'config')
        .catch(() => undefined)
    : undefined;
  if (cfg?.status?.uploadProxyURL) return proxyUrlOf(cfg.status.uploadProxyURL);
  try {
    const text = fs.readFileSync(path.join(stateDir, 'upload-proxy-url'), 'utf8').trim();
    if (text) return proxyUrlOf(text);
  } catch {
    // no local mode here
  }
  throw new Error(
    'uploadproxy URL not found: give --uploadproxy-url, or run `virtkit up` (it records its URL in its state folder)',
  );
}

/** TLS options for the proxy: the system's CAs plus the kubeconfig's, or none checked with --insecure. */
async function tlsOptions(client: KubeClient, insecure: boolean): Promise<https.RequestOptions> {
  if (insecure) return { rejectUnauthorized: false };
  const opts: https.RequestOptions = {};
  await client.config.kubeConfig.applyToHTTPSOptions(opts);
  const extra = opts.ca ? [opts.ca.toString()] : [];
  return { ca: [...tls.rootCertificates, ...extra] };
}

interface ProxyAnswer {
  readonly status: number;
  readonly body: string;
}

function proxyRequest(
  url: URL,
  method: string,
  token: string,
  tlsOpts: https.RequestOptions,
  body?: { stream: NodeJS.ReadableStream; length: number },
): Promise<ProxyAnswer> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        ...tlsOpts,
        method,
        agent: false,
        headers: {
          Authorization: `Bearer ${token}`,
          ...(body
            ? { 'Content-Type': 'application/octet-stream', 'Content-Length': String(body.length) }
            : {}),
        },
      },
      (res: http.IncomingMessage) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          if (text.length < 64 * 1024) text += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text.trim() }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (body) body.stream.pipe(req);
    else req.end();
  });
}

/**
 * The path to upload on, from the answer to `HEAD /v1beta1/upload-async` (pure): the async one
 * unless the proxy says it has none (virtctl's rule). Any other answer, or none, keeps async: the
 * upload itself then gets the proxy's real answer.
 */
export function uploadPathFor(probeStatus: number | undefined): '/v1beta1/upload-async' | '/v1beta1/upload' {
  return probeStatus === 404 || probeStatus === 405 ? '/v1beta1/upload' : '/v1beta1/upload-async';
}

/** Uploads the file (async path unless the proxy has none); throws virtctl's error on a non-200; says whether it went async. */
async function uploadFile(
  proxy: string,
  token: string,
  file: string,
  size: number,
  tlsOpts: https.RequestOptions,
  progress: Progress,
): Promise<{ async: boolean }> {
  const probe = await proxyRequest(new URL(`${proxy}/v1beta1/upload-async`), 'HEAD', token, tlsOpts).catch(
    () => undefined,
  );
  const pathname = uploadPathFor(probe?.status);
  const url = new URL(`${proxy}${pathname}`);
  const stream = fs.createReadStream(file);
  let sent = 0;
  stream.on('data', (c: Buffer | string) => {
    sent += c.length;
    progress.bytes('uploading', sent, size);
  });
  const answer = await proxyRequest(url, 'POST', token, tlsOpts, { stream, length: size });
  progress.end();
  if (answer.status !== 200) throw new Error(`unexpected return value ${answer.status}, ${answer.body}`);
  return { async: pathname === '/v1beta1/upload-async' };
}

const restartsOf = (pod: PodJson | undefined): number =>
  pod?.status?.containerStatuses?.[0]?.restartCount ?? 0;

/**
 * Why the upload pod's processing failed since it had `restartsBefore` restarts, or undefined
 * (pure): its container ended with an error, or was restarted after one.
 */
export function processingFailure(pod: PodJson | undefined, restartsBefore: number): string | undefined {
  const cs = pod?.status?.containerStatuses?.[0];
  const now = cs?.state?.terminated;
  const failed =
    now && now.exitCode !== 0
      ? now
      : restartsOf(pod) > restartsBefore
        ? (cs?.lastState?.terminated ?? {})
        : undefined;
  if (!failed) return undefined;
  return (
    failed.message?.trim() || `the upload pod's container exited with code ${failed.exitCode ?? 'unknown'}`
  );
}

/** Waits for the claim's upload pod to succeed (virtctl's waitUploadProcessingComplete); fails when its processing does. */
async function waitProcessed(
  client: KubeClient,
  ns: string,
  name: string,
  restartsBefore: number,
  timeoutMs: number,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const claim = await client.get<ClaimJson>(PVCS, ns, name);
    if (claim.metadata?.annotations?.[POD_PHASE_ANNOTATION] === 'Succeeded') return;
    const pod = await uploadPodOf(client, ns, claim, name);
    if (pod?.status?.phase === 'Succeeded') return;
    const failure = processingFailure(pod, restartsBefore);
    if (failure)
      throw new Error(
        `processing the upload failed: ${failure}; the upload pod takes a new upload once it is Ready again (run image-upload again with --no-create)`,
      );
    if (Date.now() >= until)
      throw new Error(
        'Timed out waiting for post upload processing to complete, please check upload pod status for progress',
      );
    await sleep(2000);
  }
}

export async function runImageUpload(
  client: KubeClient,
  r: UploadRequest,
  out: Out,
  progress: Progress,
): Promise<void> {
  const ns = client.namespace;
  let size: number;
  try {
    const st = fs.statSync(r.imagePath);
    if (!st.isFile()) throw new Error('not a regular file');
    fs.accessSync(r.imagePath, fs.constants.R_OK);
    size = st.size;
  } catch (e) {
    throw new Error(`failed to open image file: ${r.imagePath}: ${(e as Error).message}`);
  }
  await prepareTarget(client, r, ns, out);
  await waitReady(client, r, ns, out);
  const proxy = await findUploadProxyUrl(client, r.uploadProxyUrl, resolveStateDir(undefined));
  out(`Uploading data to ${proxy}`);
  const answer = await client.create<{ status?: { token?: string } }>(UPLOAD_TOKEN_REQUEST_TYPE, ns, {
    apiVersion: UPLOAD_API_VERSION,
    kind: UPLOAD_TOKEN_REQUEST_KIND,
    metadata: { name: 'token-for-virtctl', namespace: ns },
    spec: { pvcName: r.name },
  });
  const token = answer.status?.token;
  if (!token) throw new Error('the UploadTokenRequest was answered without status.token');
  const restartsBefore = restartsOf(
    await uploadPodOf(client, ns, await client.getIfExists<ClaimJson>(PVCS, ns, r.name), r.name),
  );
  const sent = await uploadFile(
    proxy,
    token,
    r.imagePath,
    size,
    await tlsOptions(client, r.insecure),
    progress,
  );
  out(
    sent.async
      ? 'Uploading data completed successfully, waiting for processing to complete, you can hit ctrl-c without interrupting the progress'
      : 'Uploading and processing data completed successfully, waiting for the upload pod to finish',
  );
  await waitProcessed(client, ns, r.name, restartsBefore, 24 * 3600 * 1000);
  out('Processing completed successfully');
  out(`Uploading ${r.imagePath} completed successfully`);
}

export function register(program: Command): void {
  const cmd = program
    .command('image-upload')
    .description(
      'Upload a VM image to a DataVolume/PersistentVolumeClaim (like `virtctl image-upload`): dv|pvc NAME --image-path FILE',
    )
    .argument('[kind]', 'dv (a DataVolume with source.upload) or pvc (a claim annotated for upload)')
    .argument('[name]', 'the DataVolume/PVC name')
    .option('--image-path <file>', 'path to the local VM image (raw, qcow2, ... optionally .gz or .xz)')
    .option('--size <quantity>', 'the size of the DataVolume/PVC to create (ex. 10Gi, 500Mi)')
    .option('--storage-class <name>', 'the storage class for the PVC')
    .option('--access-mode <mode>', 'the access mode for the PVC (e.g., ReadWriteOnce)')
    .option('--volume-mode <mode>', 'the VolumeMode (block/filesystem) used to create the PVC')
    .option('--uploadproxy-url <url>', "the URL of the upload proxy (default: CDIConfig, or local mode's)")
    .option('--insecure', 'allow insecure server connections when using HTTPS')
    .option('--no-create', "don't attempt to create a new DataVolume/PVC")
    .option('--wait-secs <seconds>', 'seconds to wait for upload pod to start', '300')
    .option('--force-bind', 'force bind the PVC, ignoring the WaitForFirstConsumer logic');
  addKubeFlags(cmd, { namespace: true });
  usageExitCodes(cmd);
  cmd.action(
    async (
      kind: string | undefined,
      name: string | undefined,
      raw: ImageUploadFlags & { create?: boolean },
    ) => {
      // commander turns --no-create into create: false.
      const flags: ImageUploadFlags = { ...raw, noCreate: raw.create === false };
      let r: UploadRequest;
      try {
        r = parseUploadRequest(
          [kind, name].filter((a): a is string => a !== undefined),
          flags,
        );
      } catch (err) {
        if (err instanceof UploadUsageError)
          cmd.error(`virtkit image-upload: ${err.message}`, { exitCode: 2, code: 'virtkit.usage' });
        throw err;
      }
      const { KubeClient } = await import('../../kube/client');
      const client = KubeClient.connect({ ...connectionOf(flags), fieldManager: 'virtkit' });
      try {
        await runImageUpload(client, r, (l) => console.log(l), consoleProgress(process.stdout));
      } catch (err) {
        console.error(`virtkit image-upload: ${refusalMessage(err)}`);
        process.exitCode = 1;
      } finally {
        client.close();
      }
    },
  );
}
