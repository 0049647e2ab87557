/**
 * Operations on a local control plane from any process, through its state folder: bring the
 * whole of local mode up (control plane, CRDs, extra components), stop it, report its status.
 */
import * as fs from 'fs';
import * as path from 'path';
import { crds, volumeSnapshotCrds } from '../../api/crd/generate';
import { APISERVICES, KubeClient, SERVICES, VALIDATING_WEBHOOK_CONFIGURATIONS } from '../../kube';
import type { LocalCluster } from './cluster';
import { webhookConfiguration } from '../../apiserver/admission/webhook-configuration';
import {
  API_SERVICE_NAME,
  API_SERVICE_NAMESPACE,
  APISERVICE_NAME,
  localApiServiceObject,
  subresourcesApiService,
} from '../../apiserver/subresources/registration';
import { UPLOAD_APISERVICE_NAME, uploadApiService } from '../../apiserver/upload/registration';
import {
  apiServingFiles,
  localUploadProxyUrl,
  handlerStateDir,
  isVirtkitComponent,
  localComponents,
  localNodeName,
  type ComponentContext,
  type LocalComponent,
} from './components';
import { reservePorts } from './ports';
import { awaitApiServices } from './await-available';
import { stopGuests } from './guests';
import { startControlPlane, type StartOptions } from './controlplane';
import { installCrds, installVolumeSnapshotCrds } from './crds';
import { hostKvm } from '../../launcher/host/kvm-probe';
import { applyKubeVirtConfig, kvmWhy } from './kubevirt-config';
import { applyLocalSnapshotClass, applyLocalStorageClass } from './storage-class';
import { installRbac, kubeletApiAccessBinding } from './rbac';
import { probe, type ProbeResult } from './health';
import { layout } from './layout';
import { isOurs, readPidFile, stopPid } from './process';
import { removeStaleState } from './stale';
import { readState, type StateFile } from './state';
import { detachLoopsUnder } from '../../handler/storage/loop-devices';
import { checkKubeletNodeHost, startKubeletNodes } from './kubelet/cluster-nodes';
import { importImage, stopKubeletNode } from './kubelet/node';
import { findCachedImages, type ClusterImages } from './kubelet/images';
import {
  applyInstallDefinitions,
  clusterWorkloads,
  installIntoCluster,
  localClusterInstall,
  type WorkloadStatus,
} from './kubelet/install';
import { VIRTKIT_VERSION } from '../../api/install/version';

export interface UpOptions extends StartOptions {
  /** Components started after the CRDs. @default localComponents(nodes) */
  readonly components?: readonly LocalComponent[];
  /** `--registry-mirror HOST=URL` values passed to the node handler (`virtkit up --registry-mirror`). */
  readonly registryMirrors?: readonly string[];
  /**
   * The KubeVirt object's useEmulation (`virtkit up --use-emulation`): launcher pods do not ask
   * for `devices.kubevirt.io/kvm`. @default true where this machine's KVM does not boot a guest (hostKvm)
   */
  readonly useEmulation?: boolean;
  /**
   * How many nodes (`virtkit up --nodes N`): a handler each with the process runtime, a kubelet
   * node each with `runtime: 'kubelet'`. @default 1
   */
  readonly nodes?: number;
  /**
   * With `runtime: 'kubelet'`: the images imported into the nodes and installed (`--images FILE`).
   * @default the newest of this version in the image cache (`npm run images` builds them)
   */
  readonly images?: ClusterImages;
}

/** Control plane, then virtkit's CRDs (with the network CRDs) Established, then components. */
export async function startLocalMode(options: UpOptions): Promise<LocalCluster> {
  const log = options.log ?? ((): void => undefined);
  // Refused before anything starts on a host that cannot run kubelet nodes.
  const kubeletRuntime = options.runtime === 'kubelet';
  if (kubeletRuntime) checkKubeletNodeHost();
  const images = kubeletRuntime ? (options.images ?? findCachedImages(VIRTKIT_VERSION)) : undefined;
  // KubeVirt's launcher pods ask for /dev/kvm (devices.kubevirt.io/kvm) unless the KubeVirt
  // object allows software emulation; where KVM does not boot a guest, up allows it.
  const kvm = options.useEmulation ? undefined : await hostKvm();
  const useEmulation = options.useEmulation === true || !kvm?.usable;
  const cluster = await startControlPlane(options);
  try {
    log(
      kvm?.usable
        ? 'KVM: usable; launcher pods ask for devices.kubevirt.io/kvm'
        : `KVM: ${kvm ? `not usable here (${kvmWhy(kvm.reason)})` : 'not used (--use-emulation)'}; the KubeVirt object allows software emulation (useEmulation), so launcher pods do not ask for devices.kubevirt.io/kvm and guests run under TCG`,
    );
    log('installing CustomResourceDefinitions');
    const client = KubeClient.connect({ kubeconfig: cluster.kubeconfig, fieldManager: 'virtkit' });
    const install = kubeletRuntime
      ? {
          client,
          kubeconfig: cluster.kubeconfig,
          plan: localClusterInstall(images!, {
            featureGates: options.featureGates ?? [],
            useEmulation,
            registryMirrors: options.registryMirrors ?? [],
          }),
          timeoutMs: options.timeoutMs ?? 180_000,
          log,
        }
      : undefined;
    try {
      if (install) {
        // virtkit's install (cluster mode's manifests) owns the CRDs, as in any cluster.
        await applyInstallDefinitions(install);
      } else {
        await installCrds(client, crds({ withNetworkCrds: true }));
        const snapshotCrds = await installVolumeSnapshotCrds(client, volumeSnapshotCrds());
        log(
          snapshotCrds.length
            ? `volume snapshot CRDs (snapshot.storage.k8s.io/v1): installed ${snapshotCrds.join(', ')}`
            : "volume snapshot CRDs (snapshot.storage.k8s.io/v1): the cluster's own are kept",
        );
      }
      log(`feature gates: ${options.featureGates?.length ? options.featureGates.join(', ') : 'none'}`);
      if (kubeletRuntime) {
        // The install brings the components' RBAC, the user roles and the KubeVirt object.
        log("installing RBAC: the API server's access to kubelets");
        await installRbac(client, [kubeletApiAccessBinding()]);
      } else {
        log('installing RBAC: one ClusterRole per component, KubeVirt user roles');
        await installRbac(client);
        await applyKubeVirtConfig(client, options.featureGates ?? [], useEmulation);
      }
      log('default StorageClass local: volumes on the node, made by the handler when a pod first uses them');
      await applyLocalStorageClass(client);
      log('default VolumeSnapshotClass local-snapshots: snapshots of local volumes, taken on their node');
      await applyLocalSnapshotClass(client);
      // With kubelet nodes virtkit runs in the cluster (installed below), not as host processes.
      const components = options.components ?? (kubeletRuntime ? [] : localComponents(options.nodes ?? 1));
      const extra = kubeletRuntime ? 0 : Math.max(0, (options.nodes ?? 1) - 1);
      const ports: Record<string, number> = await reservePorts({
        api: undefined,
        nodeApi: undefined,
        ...Object.fromEntries(Array.from({ length: extra }, (_, i) => [`node${i + 2}`, undefined])),
      });
      const ctx: ComponentContext = {
        layout: cluster.layout,
        kubeconfig: cluster.kubeconfig,
        server: cluster.server,
        binaries: cluster.info.binaries,
        apiPort: ports.api,
        handlerNodeApiPort: ports.nodeApi,
        extraNodeApiPorts: Array.from({ length: extra }, (_, i) => ports[`node${i + 2}`]),
        ...(options.registryMirrors?.length ? { registryMirrors: options.registryMirrors } : {}),
      };
      if (extra) log(`nodes: ${1 + extra} handlers, nodes 2..${1 + extra} named ${localNodeName(2)}...`);
      for (const component of components) {
        await cluster.add(component.process(ctx), component.health?.(ctx));
        if (component.name === 'virtkit-api') {
          log('registering the admission webhook (failurePolicy Fail)');
          await registerAdmission(client, ctx);
          log(
            `registering the aggregated APIs subresources.kubevirt.io/v1 and upload.cdi.kubevirt.io/v1beta1 (APIServices ${APISERVICE_NAME}, ${UPLOAD_APISERVICE_NAME})`,
          );
          await registerSubresourceApi(client, ctx);
          // Where `virtkit image-upload` finds the upload proxy (CDIConfig's status.uploadProxyURL
          // in CDI; local mode has no CDIConfig).
          fs.writeFileSync(
            uploadProxyUrlFile(cluster.layout.stateDir),
            `${localUploadProxyUrl(ctx.apiPort)}\n`,
          );
        }
      }
      if (kubeletRuntime) {
        const count = options.nodes ?? 1;
        log(
          `kubelet runtime: ${count} kubelet node${count === 1 ? '' : 's'} with containerd, each in its own network namespace`,
        );
        const nodes = await startKubeletNodes({
          layout: cluster.layout,
          server: cluster.server,
          count,
          client,
          timeoutMs: options.timeoutMs ?? 180_000,
          log,
          started: (node) => cluster.addNode(node),
        });
        for (const node of nodes)
          for (const image of [images!.virtkit, images!.launcher]) {
            const started = Date.now();
            importImage(node.containerdSocket, image.archive, image.repository);
            log(
              `${node.name}: imported ${image.ref} (${(image.archiveBytes / 2 ** 20).toFixed(0)} MiB) in ${((Date.now() - started) / 1000).toFixed(1)}s`,
            );
          }
        log(
          `installing virtkit into the cluster (namespace virtkit): ${images!.virtkit.ref}, ${images!.launcher.ref}`,
        );
        await installIntoCluster(install!);
      }
    } finally {
      client.close();
    }
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}

/** Point the API server's admission at the local `virtkit api` (replacing an older registration). */
export async function registerAdmission(
  client: KubeClient,
  ctx: Pick<ComponentContext, 'layout' | 'apiPort'>,
): Promise<void> {
  const files = apiServingFiles(ctx.layout);
  const config = webhookConfiguration({
    caBundlePem: fs.readFileSync(files.ca, 'utf8'),
    url: `https://127.0.0.1:${ctx.apiPort}`,
  });
  const name = (config.metadata as { name: string }).name;
  await client.apply(VALIDATING_WEBHOOK_CONFIGURATIONS, undefined, name, config);
}

/**
 * Register `virtkit api` as the aggregated API subresources.kubevirt.io/v1: the ExternalName
 * Service virtkit/virtkit-api (localhost, the api's port) and the APIService naming it, then
 * wait until the aggregator reaches it (Available), so `kubectl get --raw` works once `up`
 * returns. Nothing here is removed by `down`: local mode's etcd starts empty on every `up`.
 */
export async function registerSubresourceApi(
  client: KubeClient,
  ctx: Pick<ComponentContext, 'layout' | 'apiPort'>,
  timeoutMs = 60_000,
): Promise<void> {
  const ref = { namespace: API_SERVICE_NAMESPACE, name: API_SERVICE_NAME, port: ctx.apiPort };
  await client.apply(SERVICES, ref.namespace, ref.name, localApiServiceObject(ref));
  const caBundlePem = fs.readFileSync(apiServingFiles(ctx.layout).ca, 'utf8');
  await client.apply(
    APISERVICES,
    undefined,
    APISERVICE_NAME,
    subresourcesApiService({ ...ref, caBundlePem }),
  );
  // CDI's upload API, served by the same `virtkit api` behind the same Service.
  await client.apply(
    APISERVICES,
    undefined,
    UPLOAD_APISERVICE_NAME,
    uploadApiService({ ...ref, caBundlePem }),
  );
  await awaitApiServices(
    client,
    Date.now() + timeoutMs,
    (name, last) =>
      new Error(
        `the APIService ${name} did not become Available within ${timeoutMs / 1000}s: ${last.message}; ` +
          `see the virtkit-api and kube-apiserver logs in ${ctx.layout.logsDir}`,
      ),
    250,
  );
}

/** The state dirs of every node handler a local mode's state folder holds (handler, handler-2...). */
export function localHandlerStateDirs(stateDir: string): string[] {
  const extra = fs.existsSync(stateDir)
    ? fs
        .readdirSync(stateDir)
        .filter((f) => /^handler-\d+$/.test(f))
        .map((f) => path.join(stateDir, f))
    : [];
  return [handlerStateDir(stateDir), ...extra];
}

/** The file in a local mode's state folder that holds its upload proxy URL (read by `virtkit image-upload`). */
export function uploadProxyUrlFile(stateDir: string): string {
  return path.join(stateDir, 'upload-proxy-url');
}

/**
 * Stop everything started from `stateDir`: virtkit's own components first (so no controller
 * makes a new VMI and no handler starts a new launcher while the guests go), then the guests
 * the handler ran and their Block volumes' loop devices, then the kubelet nodes (their
 * containers, daemons, network, cgroups and mounts), then the control plane newest first
 * (controller manager, scheduler, API server, etcd). Only pids whose command line names the state folder are signalled.
 * Returns the names of the processes stopped.
 */
export async function stopLocalMode(
  stateDir: string,
  log: (m: string) => void = () => undefined,
): Promise<string[]> {
  const l = layout(stateDir);
  const state = readState(l.stateFile);
  const targets: { name: string; pid: number }[] = [...(state?.components ?? [])]
    .reverse()
    .map((c) => ({ name: c.name, pid: c.pid }));
  if (fs.existsSync(l.runDir)) {
    for (const f of fs.readdirSync(l.runDir)) {
      const pid = f.endsWith('.pid') ? readPidFile(path.join(l.runDir, f)) : undefined;
      if (pid !== undefined && !targets.some((t) => t.pid === pid))
        targets.push({ name: f.slice(0, -4), pid });
    }
  }
  const stopped: string[] = [];
  const stop = async (t: { name: string; pid: number }): Promise<void> => {
    if (!isOurs(t.pid, l.stateDir)) return;
    log(`stopping ${t.name} (pid ${t.pid})`);
    await stopPid(t.pid);
    stopped.push(t.name);
  };
  for (const t of targets.filter((x) => isVirtkitComponent(x.name))) await stop(t);
  // Then the guests of every node: their pods vanish with etcd, so nothing would ever stop them later.
  for (const dir of localHandlerStateDirs(l.stateDir)) stopped.push(...(await stopGuests(dir, log)));
  // The loop devices of the nodes' Block volumes (their backing files are in the state folder):
  // nothing uses them once the guests are gone, and the machine has few.
  detachLoopsUnder(l.stateDir);
  // Then the kubelet nodes, with what they changed on the host (network, cgroups, mounts).
  for (const node of state?.nodes ?? []) {
    log(`stopping kubelet node ${node.name}`);
    await stopKubeletNode(node);
    stopped.push(node.name);
  }
  // The nodes' daemons are stopped with their nodes above, never as control-plane components.
  const nodePids = new Set(
    (state?.nodes ?? []).flatMap((n) => [n.containerdPid, n.kubeletPid, n.kubeProxyPid]),
  );
  for (const t of targets.filter((x) => !isVirtkitComponent(x.name) && !nodePids.has(x.pid))) await stop(t);
  removeStaleState(l);
  return stopped;
}

export interface ComponentStatus {
  readonly name: string;
  readonly pid: number;
  readonly running: boolean;
  readonly health?: ProbeResult;
  readonly logFile: string;
}

export interface LocalStatus {
  readonly stateDir: string;
  /** undefined when nothing was started from this folder (or `down` ran). */
  readonly state?: StateFile;
  readonly components: readonly ComponentStatus[];
  /**
   * With the kubelet runtime: virtkit's workloads in the cluster (namespace `virtkit`), or why
   * the API server could not say.
   */
  readonly cluster?: { readonly workloads: readonly WorkloadStatus[] } | { readonly error: string };
}

export async function localStatus(stateDir: string): Promise<LocalStatus> {
  const l = layout(stateDir);
  const state = readState(l.stateFile);
  if (!state) return { stateDir: l.stateDir, components: [] };
  const tls = {
    caCert: path.join(l.pkiDir, 'ca.crt'),
    clientCert: path.join(l.pkiDir, 'admin.crt'),
    clientKey: path.join(l.pkiDir, 'admin.key'),
  };
  const components = await Promise.all(
    state.components.map(async (c): Promise<ComponentStatus> => {
      const running = isOurs(c.pid, l.stateDir);
      const health = running && c.health ? await probe(c.health, tls) : undefined;
      return { name: c.name, pid: c.pid, running, logFile: c.logFile, ...(health ? { health } : {}) };
    }),
  );
  const apiserver = components.find((c) => c.name === 'kube-apiserver');
  const cluster =
    state.runtime === 'kubelet' && apiserver?.running
      ? await clusterWorkloads(state.kubeconfig).then(
          (workloads) => ({ workloads }),
          (e: unknown) => ({ error: e instanceof Error ? e.message : String(e) }),
        )
      : undefined;
  return { stateDir: l.stateDir, state, components, ...(cluster ? { cluster } : {}) };
}
