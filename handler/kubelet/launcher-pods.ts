/**
 * Cluster mode's launchers (virt-handler's side of virt-launcher): kubelet starts each launcher
 * pod's compute container through containerd; this handler never starts a process. For every
 * launcher pod bound to its node it
 *
 *   - waits for the launcher's `waiting` mark in the pod's socket folder (an emptyDir it reaches
 *     under kubelet's pod folders, ./handoff-plan.ts),
 *   - checks the VMI (api/ validation and feature gates, the same SpecGuard as local mode) and
 *     what cluster mode runs today, pulls and copies each containerDisk into its volume,
 *     resolves cloud-init Secrets, and writes the launcher's resources.json, owned by the
 *     launcher's uid (launcher/handoff.ts is the other side),
 *   - and offers the VMI sync (../vmi/sync.ts, shared with local mode) a view of the launcher:
 *     its socket, its work folder, its exit from the pod's container status.
 *
 * Level-triggered: a restarted handler finds handed-off pods by their resources.json and
 * picks them up without touching the guests.
 */
import * as fs from 'fs';
import * as path from 'path';
import { keyFields, type Logger } from '../../common/log';
import { isMigrationTargetPod } from '../../api/kubevirt/v1/migration-labels';
import type { VirtualMachineInstanceSpec } from '../../api/kubevirt/v1';
import { runWorker } from '../work-loop';
import { resolveLaunchResources } from '../volumes/resolve';
import { asPodPrepareError, checkedVmiOfPod, PodPrepareError, type PodImages } from '../pods/prepare';
import {
  COMPUTE_CONTAINER,
  isEphemeralProvisioningPod,
  LAUNCHER_LABEL,
  LAUNCHER_LABEL_VALUE,
  podKey,
  vmiOfPod,
  type PodJson,
} from '../pods/pod-types';
import type { FinalStatus } from '../pods/pod-dir';
import type { SpecGuard } from '../vmi/spec-guard';
import { newestLauncherOf, type VmiLauncher, type VmiLaunchers } from '../vmi/launchers';
import { prepareClaimDisks } from './claim-disks';
import {
  claimVolumes,
  clusterModeProblems,
  containerDiskCopies,
  containerLaunchResources,
  handlerResolvedVolumes,
  kubeletPodFolders,
  podReadiness,
  type KubeletPodFolders,
} from './handoff-plan';
import { checkedBindings } from './binding-check';
import { copyOwnedFile, launcherOwner, readPodJson, writeOwnedFile } from './pod-files';
import type { Readiness } from '../probes/prober';
import { findPodProcess, wireBindings } from './pod-netns';
import { errorMessage, Informer, WorkQueue, PODS, type EventRecorder, type KubeClient } from '../../kube';
import { assertConfined } from '../../common/confine';

/** The QEMU folder's link beside the socket's in socketLinksDir: `<pod uid>.qemu`. */
const QEMU_LINK_SUFFIX = '.qemu';

export interface KubeletLaunchersOptions {
  readonly client: KubeClient;
  readonly nodeName: string;
  /** kubelet's pod folders as this handler sees them. */
  readonly podsDir: string;
  /**
   * The handler's own folder of short links to launcher sockets and QEMU folders (named by the
   * pod uid, and the uid + `.qemu`): a socket under kubelet's pod folders has a longer path than
   * a Unix socket address holds (108 bytes), and the migration proxies bind and reach QEMU's.
   */
  readonly socketLinksDir: string;
  readonly guard: SpecGuard;
  /** This node's local volumes (the provisioner's root): the claims a launcher may use. */
  readonly volumeRoot: string;
  /** Where containerDisk images are pulled (the node's image cache), and pull failures reported. */
  readonly images?: PodImages;
  /** Refusals and failed hand-offs become Warning Events on the VMI. */
  readonly recorder?: EventRecorder;
  readonly log: Logger;
  /** A launcher of this VMI changed (became ready, ended). */
  readonly onLauncherChange: (vmi: { namespace: string; name: string }) => void;
}

interface KubeletLauncher extends VmiLauncher {
  readonly vmi: { readonly namespace: string; readonly name: string; readonly uid?: string };
  readonly startedAt: string;
  /** kubelet's Ready condition of the pod (its probes of the guest: ../../controller/vmi/launcher-probes.ts). */
  readonly podReady: Readiness;
}

/** How often a started launcher is looked at until its socket is there. */
const SOCKET_POLL_MS = 250;

export class KubeletLaunchers implements VmiLaunchers {
  readonly informer: Informer<PodJson>;
  private readonly queue = new WorkQueue('handler-launcher-pods', { baseMs: 500, maxMs: 30_000 });
  private readonly launchers = new Map<string, KubeletLauncher>();
  /** The last refusal warned about, by pod uid (one Event per new message). */
  private readonly warned = new Map<string, string>();
  private workers: Promise<void>[] = [];

  constructor(private readonly o: KubeletLaunchersOptions) {
    this.informer = new Informer<PodJson>(
      o.client.listWatch<PodJson>(PODS, `${LAUNCHER_LABEL}=${LAUNCHER_LABEL_VALUE}`),
      {},
      { onError: (m) => o.log.warn({ kind: 'Pod' }, `watch: ${m}`) },
    );
    const enqueue = (p: PodJson): void => {
      if (p.spec?.nodeName === o.nodeName || this.launchers.has(p.metadata?.uid ?? ''))
        this.queue.add(podKey(p));
    };
    this.informer.addHandlers({ onAdd: enqueue, onUpdate: (_o, n) => enqueue(n), onDelete: enqueue });
  }

  async start(workers = 2): Promise<void> {
    this.informer.start();
    for (let i = 0; i < workers; i++)
      this.workers.push(
        runWorker(
          this.queue,
          (k) => this.reconcile(k),
          (key, e) => this.o.log.warn(keyFields('Pod', key), errorMessage(e)),
        ),
      );
    await this.informer.waitForSync();
    // Links of pods that went while the handler was down.
    const live = new Set(this.informer.cache.list().map((p) => p.metadata?.uid ?? ''));
    for (const link of fs.existsSync(this.o.socketLinksDir) ? fs.readdirSync(this.o.socketLinksDir) : [])
      if (!live.has(link.replace(QEMU_LINK_SUFFIX, '')))
        fs.rmSync(path.join(this.o.socketLinksDir, link), { force: true });
  }

  async stop(): Promise<void> {
    this.queue.shutDown();
    await this.informer.stop();
    await Promise.all(this.workers);
  }

  /** Look again at every launcher pod of this node (the feature gates changed). */
  retryWaiting(): void {
    for (const p of this.informer.cache.list())
      if (p.spec?.nodeName === this.o.nodeName) this.queue.add(podKey(p));
  }

  launcherForVmi(namespace: string, name: string, uid?: string): VmiLauncher | undefined {
    return newestLauncherOf(this.launchers.values(), (l) => l, namespace, name, uid);
  }

  podIPsOf(l: VmiLauncher): readonly string[] {
    return l.record.podIPs ?? [];
  }

  /**
   * A VMI's readiness as kubelet decided it for its newest launcher pod (KubeVirt copies the
   * pod's Ready condition to the VMI): kubelet runs the VMI's probes, which the compute container
   * carries. Undefined while no launcher of the VMI is known here.
   */
  readinessOf(key: string): Readiness | undefined {
    const [namespace = '', name = ''] = key.split('/');
    return newestLauncherOf(this.launchers.values(), (l) => l, namespace, name)?.podReady;
  }

  private async reconcile(key: string): Promise<number | undefined> {
    const pod = this.informer.cache.get(key);
    const uid = pod?.metadata?.uid ?? '';
    const gone = [...this.launchers.entries()].filter(
      ([u, l]) =>
        `${l.record.namespace}/${l.record.name}` === key &&
        (u !== uid || pod?.spec?.nodeName !== this.o.nodeName),
    );
    for (const [u, l] of gone) {
      this.launchers.delete(u);
      fs.rmSync(path.join(this.o.socketLinksDir, u), { force: true });
      fs.rmSync(path.join(this.o.socketLinksDir, u + QEMU_LINK_SUFFIX), { force: true });
      this.warned.delete(u);
      this.o.onLauncherChange(l.vmi);
    }
    if (!pod || pod.spec?.nodeName !== this.o.nodeName) return undefined;
    // KubeVirt's ephemeral provisioning pod only holds a place for the scheduler: no launcher.
    if (isEphemeralProvisioningPod(pod)) return undefined;
    const vmi = vmiOfPod(pod);
    if (!vmi) return undefined;
    const compute = pod.status?.containerStatuses?.find((c) => c.name === COMPUTE_CONTAINER);
    const running = compute?.state?.running as { startedAt?: string } | undefined;
    const terminated = compute?.state?.terminated as { exitCode?: number; startedAt?: string } | undefined;
    if (!running && !terminated) return undefined; // kubelet has not started it yet
    const folders = kubeletPodFolders(this.o.podsDir, uid);
    if (running && fs.existsSync(folders.waiting) && !fs.existsSync(folders.resourcesFile)) {
      const again = await this.handOff(pod, folders);
      if (again !== undefined) return again;
    }
    const handed = fs.existsSync(folders.resourcesFile);
    if (running && handed && fs.existsSync(folders.networkRequest) && !fs.existsSync(folders.networkDone)) {
      const again = await this.wireNetwork(pod, folders);
      if (again !== undefined) return again;
    }
    const socket = this.socketLink(uid, folders.socket);
    const qemuDirLink = (): string => this.qemuDirLink(uid, folders);
    const view: KubeletLauncher = {
      record: {
        uid,
        namespace: pod.metadata?.namespace ?? '',
        name: pod.metadata?.name ?? '',
        podIPs: (pod.status?.podIPs ?? []).map((p) => p.ip).filter((ip): ip is string => !!ip),
      },
      dir: {
        socket,
        // Looked up when used: QEMU's folder appears once the launcher starts it.
        get qemuDir(): string {
          return qemuDirLink();
        },
        qemuFolder: folders.qemuDir,
        readFinalStatus: () => readFinal(folders.finalStatusFile),
      },
      ...(terminated ? { exit: { code: terminated.exitCode ?? 1 } } : {}),
      ready: !!running && handed && fs.existsSync(folders.socket),
      vmi,
      startedAt: running?.startedAt ?? terminated?.startedAt ?? '',
      podReady: podReadiness(pod),
    };
    const before = this.launchers.get(uid);
    this.launchers.set(uid, view);
    if (
      !before ||
      before.ready !== view.ready ||
      !!before.exit !== !!view.exit ||
      before.podReady.ready !== view.podReady.ready
    )
      this.o.onLauncherChange(vmi);
    return running && !view.ready ? SOCKET_POLL_MS : undefined;
  }

  /**
   * Performs the pod-network bindings the launcher asked for in its pod's network namespace
   * and answers in network-done.json (`{}`, or `{error}`: the launcher then fails, naming it).
   * Returns when to look again while the pod's process is not found yet.
   */
  private async wireNetwork(pod: PodJson, folders: KubeletPodFolders): Promise<number | undefined> {
    const key = podKey(pod);
    const uid = pod.metadata?.uid ?? '';
    const owner = launcherOwner(folders.waiting);
    const answer = (body: object): Promise<void> =>
      writeOwnedFile(folders.networkDone, JSON.stringify(body), owner);
    const pid = findPodProcess(uid);
    if (pid === undefined) {
      this.o.log.info(
        keyFields('Pod', key),
        'no process of the pod is visible yet; wiring its network later',
      );
      return 1000;
    }
    try {
      const bindings = checkedBindings(readPodJson(folders.networkRequest), `pod ${key}`);
      // A marker of the attempt: a handler that finds it without an answer began and died.
      const again = fs.existsSync(folders.networkStarted);
      await writeOwnedFile(folders.networkStarted, `${new Date().toISOString()}\n`, { uid: 0, gid: 0 });
      await wireBindings(pid, bindings, owner, { again });
      await answer({});
      this.o.log.info(
        keyFields('Pod', key),
        `pod network wired: ${bindings.map((b) => `${b.podInterface} (${b.kind}, ${b.tap} owned by uid ${owner.uid})`).join(', ')}`,
      );
    } catch (e) {
      const message = errorMessage(e);
      await answer({ error: message });
      this.o.log.warn(keyFields('Pod', key), `wiring the pod network: ${message}`);
      await this.warnVmiOf(pod, 'NetworkSetupFailed', `pod ${key}: ${message}`);
    }
    return undefined;
  }

  /** A Warning Event on the VMI of a launcher pod (the pod names it). */
  private async warnVmiOf(pod: PodJson, reason: string, message: string): Promise<void> {
    const vmi = vmiOfPod(pod);
    if (!vmi) return;
    await this.o.recorder?.record(
      {
        apiVersion: 'kubevirt.io/v1',
        kind: 'VirtualMachineInstance',
        metadata: { namespace: vmi.namespace, name: vmi.name, ...(vmi.uid ? { uid: vmi.uid } : {}) },
      },
      { type: 'Warning', reason, message },
    );
  }

  /**
   * A short path to the launcher's QEMU folder (a link in socketLinksDir), where the migration
   * proxies bind QEMU's outgoing sockets and reach its incoming ones. The folder is the
   * launcher's: it is linked only while it is a real folder where the pod's private volume
   * keeps it, never through a link the launcher put in its place. Before QEMU's folder exists,
   * its own path (there is no QEMU to migrate yet).
   */
  private qemuDirLink(uid: string, folders: KubeletPodFolders): string {
    try {
      // lstat: a link in the folder's place is not a folder.
      if (!fs.lstatSync(folders.qemuDir).isDirectory()) return folders.qemuDir;
      assertConfined(folders.privateDir, folders.qemuDir, `pod ${uid} QEMU folder`);
    } catch {
      return folders.qemuDir;
    }
    return this.socketLink(uid + QEMU_LINK_SUFFIX, folders.qemuDir);
  }

  /** A short path to `target` (a link in socketLinksDir named `name`: the pod uid for its socket). */
  private socketLink(name: string, target: string): string {
    const link = path.join(this.o.socketLinksDir, name);
    if (readLink(link) !== target) {
      fs.mkdirSync(this.o.socketLinksDir, { recursive: true, mode: 0o700 });
      fs.rmSync(link, { force: true });
      fs.symlinkSync(target, link);
    }
    return link;
  }

  /**
   * Prepares the node's side of a waiting launcher and writes its resources; returns when to
   * look again while it cannot (a refusal, a pull in back-off), undefined once handed off.
   */
  private async handOff(pod: PodJson, folders: KubeletPodFolders): Promise<number | undefined> {
    const key = podKey(pod);
    try {
      const { vmi, ref, featureGates } = await checkedVmiOfPod(this.o.client, pod, this.o.guard);
      const spec = vmi.spec as VirtualMachineInstanceSpec;
      const problems = clusterModeProblems(spec);
      if (problems.length)
        throw new PodPrepareError(
          'CreateContainerConfigError',
          `VirtualMachineInstance ${ref.namespace}/${ref.name} cannot run on node ${this.o.nodeName}: ${problems.join('; ')}`,
          60_000,
        );
      let resolved;
      try {
        resolved = await resolveLaunchResources(
          this.o.client,
          ref.namespace,
          handlerResolvedVolumes(spec),
          folders.privateDir,
          this.o.images?.puller,
        );
      } catch (e) {
        return await asPodPrepareError(e, vmi, ref, this.o.images);
      }
      const owner = launcherOwner(folders.waiting);
      let claims;
      try {
        claims = await prepareClaimDisks(
          this.o.client,
          ref.namespace,
          claimVolumes(spec),
          this.o.volumeRoot,
          owner,
        );
      } catch (e) {
        return await asPodPrepareError(e, vmi, ref, this.o.images);
      }
      const copies = containerDiskCopies(folders, resolved.containerDisks ?? {});
      for (const c of copies) await copyOwnedFile(c.from, c.to, owner);
      const resources = containerLaunchResources(
        spec,
        resolved,
        copies,
        featureGates,
        isMigrationTargetPod(pod.metadata?.labels),
        claims,
      );
      await writeOwnedFile(folders.resourcesFile, JSON.stringify(resources, null, 2), owner);
      this.warned.delete(pod.metadata?.uid ?? '');
      this.o.log.info(
        keyFields('Pod', key),
        `handed VirtualMachineInstance ${ref.namespace}/${ref.name} to its launcher (uid ${owner.uid})${copies.length ? `; containerDisks ${copies.map((c) => c.volume).join(', ')} in place` : ''}${Object.keys(claims).length ? `; claims ${Object.keys(claims).join(', ')} ready` : ''}`,
      );
      return undefined;
    } catch (e) {
      if (!(e instanceof PodPrepareError)) throw e;
      const uid = pod.metadata?.uid ?? '';
      if (this.warned.get(uid) !== e.message) {
        this.warned.set(uid, e.message);
        this.o.log.warn(keyFields('Pod', key), `${e.reason}: ${e.message}`);
        await this.warnVmiOf(pod, e.reason, e.message);
      }
      return e.retryMs ?? 5_000;
    }
  }
}

function readLink(file: string): string | undefined {
  try {
    return fs.readlinkSync(file);
  } catch {
    return undefined;
  }
}

/** The launcher's final status, when it wrote one (never read through a link). */
function readFinal(file: string): FinalStatus | undefined {
  try {
    return readPodJson(file) as FinalStatus;
  } catch {
    return undefined;
  }
}
