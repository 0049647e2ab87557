/**
 * A whole local runtime for end-to-end suites: a real control plane (cli/local), virtkit's CRDs,
 * the cluster's KubeVirt object with the LocalContainerDisk gate, the controller, the node
 * handler (with its node API) and `virtkit api` as real processes (so tests can kill and restart
 * them), and kubectl to talk to it all. `virtkit api` is registered as the aggregated API
 * subresources.kubevirt.io/v1 exactly as local mode registers it (cli/local/manage.ts), so the
 * subresource verbs (pause, guestosinfo, console...) go through the real API server. No admission
 * webhook is registered: the runtime's own checks are what the suites see. Tests see what a
 * user sees: objects through the API, guests through their serial console logs.
 */
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { crds, volumeSnapshotCrds } from '../../../api/crd/generate';
import { findBinary } from '../../../cli/local/binaries';
import type { LocalCluster } from '../../../cli/local/cluster';
import { startControlPlane } from '../../../cli/local/controlplane';
import { installVolumeSnapshotCrds } from '../../../cli/local/crds';
import { applyLocalSnapshotClass, applyLocalStorageClass } from '../../../cli/local/storage-class';
import { applyKubeVirtConfig } from '../../../cli/local/kubevirt-config';
import { hostKvm } from '../../../launcher/host/kvm-probe';
import {
  apiNodeClientArgs,
  apiServingArgs,
  handlerCniArgs,
  handlerNodeApiArgs,
} from '../../../cli/local/components';
import { componentKubeconfig } from '../../../cli/local/layout';
import { registerAdmission, registerSubresourceApi } from '../../../cli/local/manage';
import { reservePorts } from '../../../cli/local/ports';
import { localRbacObjects } from '../../../cli/local/rbac';
import { KubeClient } from '../../../kube';
import { namespace } from './manifests';
import { detachLoopsUnder } from '../../../handler/storage/loop-devices';
import {
  nodeNetworkLeftovers,
  readNodeNetwork,
  releaseNodeNetwork,
  type NodeNetworkChoice,
} from '../../../handler/network/cni';
import { instanceTag, isOwnNetns, netnsNameFor } from '../../../handler/network/cni/names';

const ROOT = path.resolve(__dirname, '../../..');
/** The real `virtkit` command (compiled when dist/ is fresh, as npm test makes it). */
const VIRTKIT = path.join(ROOT, 'bin', 'virtkit.js');

export type Obj = {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid: string;
    deletionTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { uid: string }[];
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown> & {
    phase?: string;
    conditions?: { type: string; status: string; reason?: string }[];
  };
};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A process's working directory ('' when it is gone or not readable). */
function cwdOf(pid: string): string {
  try {
    return fs.readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return '';
  }
}

/**
 * The feature gates of the runtime suites' KubeVirt object: their guests boot from disk images
 * built on this machine (file:// container disks), which the handler refuses without this gate;
 * HotplugVolumes serves addvolume / removevolume (runtime-hotplug.test.ts).
 */
export const RUNTIME_FEATURE_GATES: readonly string[] = ['LocalContainerDisk', 'HotplugVolumes'];

/** What a suite may change about its runtime. */
export interface RuntimeOptions {
  /** The KubeVirt object's feature gates. @default RUNTIME_FEATURE_GATES */
  readonly featureGates?: readonly string[];
  /** More flags for `virtkit handler` (e.g. --registry-mirror). */
  readonly handlerArgs?: readonly string[];
  /**
   * Kubernetes' snapshot CRDs and the default VolumeSnapshotClass `local-snapshots`, installed
   * before any component starts, as `virtkit up` installs them. @default false
   */
  readonly volumeSnapshots?: boolean;
  /**
   * How many node handlers run (`virtkit up --nodes N`): each registers its own Node, with its
   * own state dir, pod range and bridge, node API port and launcher pods. @default 1
   */
  readonly nodes?: number;
}

/** One node of the runtime: its handler process, and where it keeps its state. */
export interface RuntimeNode {
  readonly name: string;
  readonly stateDir: string;
  readonly nodeApiPort: number;
  /** The handler's log file name in the runtime's dir. */
  readonly log: string;
  process?: ChildProcess;
}

/** What the handler's pod network holds on the machine, each list sorted (see podNetworkInventory). */
export interface PodNetworkInventory {
  /** `ip netns list` names of this handler (its tag). */
  readonly namespaces: readonly string[];
  /** The veths attached to its bridge (`ip -o link show master <bridge> type veth`). */
  readonly veths: readonly string[];
  /** host-local lease files in its IPAM data dir. */
  readonly leases: readonly string[];
  /** CNI result cache records (file names). */
  readonly records: readonly string[];
}

function ipCommand(args: readonly string[]): string {
  const r = spawnSync('ip', [...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

export class Runtime {
  readonly handlerStateDir: string;
  /** Extra `virtkit handler` flags (RuntimeOptions.handlerArgs), kept for restarts. */
  handlerArgs: readonly string[] = [];
  readonly nodeName = 'e2e-node';
  controller?: ChildProcess;
  api?: ChildProcess;
  /** Every node; the first is `nodeName` with `handlerStateDir` (the single node of most suites). */
  readonly nodes: RuntimeNode[];

  private constructor(
    readonly dir: string,
    readonly cluster: LocalCluster,
    /** `virtkit api`'s port and the first handler's node API port (127.0.0.1). */
    readonly ports: { readonly api: number; readonly nodeApi: number },
    extraNodeApiPorts: readonly number[] = [],
  ) {
    this.handlerStateDir = path.join(dir, 'h');
    this.nodes = [
      { name: this.nodeName, stateDir: this.handlerStateDir, nodeApiPort: ports.nodeApi, log: 'handler.log' },
      ...extraNodeApiPorts.map((port, i) => ({
        name: `${this.nodeName}-${i + 2}`,
        stateDir: path.join(dir, `h${i + 2}`),
        nodeApiPort: port,
        log: `handler-${i + 2}.log`,
      })),
    ];
  }

  /** The first node's handler process. */
  get handler(): ChildProcess | undefined {
    return this.nodes[0].process;
  }

  /** The node called `name`. */
  node(name: string): RuntimeNode {
    const n = this.nodes.find((x) => x.name === name);
    if (!n)
      throw new Error(`the runtime has no node ${name}; it has ${this.nodes.map((x) => x.name).join(', ')}`);
    return n;
  }

  /**
   * A runtime with the controller, the handler and `virtkit api` (registered as the subresource
   * API) running, its node Ready and namespace `ns` created.
   */
  static async startAll(ns: string, options: RuntimeOptions = {}): Promise<Runtime> {
    const rt = await Runtime.start(options);
    rt.startController();
    await rt.startApi();
    for (const n of rt.nodes) rt.startHandler(n.name);
    for (const n of rt.nodes) await rt.nodeReady(n.name);
    rt.apply(namespace(ns));
    return rt;
  }

  static async start(options: RuntimeOptions = {}): Promise<Runtime> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vk-rt-'));
    const cluster = await startControlPlane({ stateDir: path.join(dir, 'cp') });
    const extra = Math.max(0, (options.nodes ?? 1) - 1);
    const ports = await reservePorts({
      api: undefined,
      nodeApi: undefined,
      ...Object.fromEntries(Array.from({ length: extra }, (_, i) => [`node${i + 2}`, undefined])),
    });
    const rt = new Runtime(
      dir,
      cluster,
      { api: ports.api, nodeApi: ports.nodeApi },
      Array.from({ length: extra }, (_, i) => (ports as Record<string, number>)[`node${i + 2}`]),
    );
    rt.handlerArgs = options.handlerArgs ?? [];
    try {
      const file = path.join(dir, 'crds.json');
      // As local mode: the Multus and Kube-OVN CRDs too (the handler reads NetworkAttachmentDefinitions).
      fs.writeFileSync(
        file,
        JSON.stringify({ apiVersion: 'v1', kind: 'List', items: crds({ withNetworkCrds: true }) }),
      );
      rt.kubectl(['apply', '--server-side', '--force-conflicts', '-f', file]);
      // The controller and the handler run under their own least-privilege roles, as in local
      // mode: a verb their code needs and their role lacks fails these suites.
      rt.kubectl(
        ['apply', '--server-side', '-f', '-'],
        JSON.stringify({ apiVersion: 'v1', kind: 'List', items: localRbacObjects() }),
      );
      // `kubectl wait` fails on a CRD whose conditions are not there yet; poll instead.
      await rt.waitFor('CRDs Established', () => {
        const list = JSON.parse(rt.kubectl(['get', 'crd', '-o', 'json'])) as { items: Obj[] };
        return list.items.every((c) =>
          c.status?.conditions?.some((x) => x.type === 'Established' && x.status === 'True'),
        );
      });
      // The cluster's KubeVirt object, as `virtkit up --feature-gates` writes it (no webhook here:
      // the handler is what enforces the gates in these suites).
      const admin = KubeClient.connect({ kubeconfig: cluster.kubeconfig, fieldManager: 'e2e' });
      try {
        // Software emulation where this machine's KVM does not boot a guest, as `virtkit up` allows it.
        await applyKubeVirtConfig(
          admin,
          options.featureGates ?? RUNTIME_FEATURE_GATES,
          !(await hostKvm()).usable,
        );
        // The default StorageClass `local`, served by the handler's volume provisioner.
        await applyLocalStorageClass(admin);
        if (options.volumeSnapshots) {
          await installVolumeSnapshotCrds(admin, volumeSnapshotCrds());
          await applyLocalSnapshotClass(admin);
        }
      } finally {
        admin.close();
      }
    } catch (e) {
      await cluster.stop();
      throw e;
    }
    return rt;
  }

  get kubeconfig(): string {
    return this.cluster.kubeconfig;
  }

  kubectl(args: readonly string[], input?: string): string {
    const res = spawnSync(findBinary('kubectl'), [...args], {
      encoding: 'utf8',
      input,
      env: { ...process.env, KUBECONFIG: this.kubeconfig },
      timeout: 120_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    if (res.status !== 0)
      throw new Error(
        `kubectl ${args.join(' ')} failed (${res.status}): ${res.stderr || res.error?.message}`,
      );
    return res.stdout;
  }

  /** The real `virtkit` command against this runtime's API server, run to its end. */
  virtkit(args: readonly string[]): { code: number | null; stdout: string; stderr: string } {
    const r = spawnSync(process.execPath, [VIRTKIT, ...args, '--kubeconfig', this.kubeconfig], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json') },
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  apply(obj: unknown): void {
    this.kubectl(['apply', '--server-side', '--field-manager=e2e', '-f', '-'], JSON.stringify(obj));
  }

  get(resource: string, namespace: string | undefined, name: string): Obj | undefined {
    const res = spawnSync(
      findBinary('kubectl'),
      [...(namespace ? ['-n', namespace] : []), 'get', resource, name, '-o', 'json'],
      {
        encoding: 'utf8',
        env: { ...process.env, KUBECONFIG: this.kubeconfig },
      },
    );
    if (res.status !== 0) {
      if (/NotFound|not found/.test(res.stderr)) return undefined;
      throw new Error(`kubectl get ${resource} ${name}: ${res.stderr}`);
    }
    return JSON.parse(res.stdout) as Obj;
  }

  list(resource: string, namespace: string, selector?: string): Obj[] {
    const out = this.kubectl([
      '-n',
      namespace,
      'get',
      resource,
      '-o',
      'json',
      ...(selector ? ['-l', selector] : []),
    ]);
    return (JSON.parse(out) as { items: Obj[] }).items;
  }

  /** Polls `probe` until it returns something other than undefined/false; the error tells what was awaited and what was last seen. */
  async waitFor<T>(
    what: string,
    probe: () => T | undefined | false,
    timeoutMs = 180_000,
    seen?: () => unknown,
  ): Promise<T> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const v = probe();
      if (v !== undefined && v !== false) return v;
      if (Date.now() > until) {
        throw new Error(
          `timed out waiting for ${what}${seen ? `; last seen: ${JSON.stringify(seen())}` : ''}\n${this.nodes.map((n) => `--- ${n.log} tail:\n${this.tail(n.log)}`).join('\n')}\n--- controller log tail:\n${this.tail('controller.log')}`,
        );
      }
      await sleep(300);
    }
  }

  tail(file: string, lines = 25): string {
    const p = path.join(this.dir, file);
    return fs.existsSync(p) ? fs.readFileSync(p, 'utf8').split('\n').slice(-lines).join('\n') : '(no log)';
  }

  private spawnComponent(name: string, args: readonly string[], logFile = `${name}.log`): ChildProcess {
    const log = fs.openSync(path.join(this.dir, logFile), 'a');
    const child = spawn(process.execPath, [VIRTKIT, ...args], {
      cwd: ROOT,
      stdio: ['ignore', log, log],
      env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json') },
    });
    fs.closeSync(log);
    return child;
  }

  startController(): void {
    this.controller = this.spawnComponent('controller', [
      'controller',
      '--kubeconfig',
      componentKubeconfig(this.cluster.layout, 'virtkit-controller'),
    ]);
  }

  /** Starts (or restarts) the handler of node `name` (the first node by default). */
  startHandler(name = this.nodeName): void {
    const node = this.node(name);
    node.process = this.spawnComponent(
      'handler',
      [
        'handler',
        '--kubeconfig',
        componentKubeconfig(this.cluster.layout, 'virtkit-handler'),
        '--node-name',
        node.name,
        '--state-dir',
        node.stateDir,
        ...handlerNodeApiArgs(this.cluster.layout, node.nodeApiPort),
        // As local mode: the whereabouts build among the plugin folders, whereabouts' own identity.
        ...handlerCniArgs(this.cluster.layout),
        ...this.handlerArgs,
      ],
      node.log,
    );
  }

  /**
   * `virtkit api` as local mode starts it (its own identity, its serving certificate, its node
   * client certificate), registered as subresources.kubevirt.io/v1 the way local mode registers
   * it; resolves once the APIService is Available.
   */
  async startApi(): Promise<void> {
    this.api = this.spawnComponent('api', [
      'api',
      '--kubeconfig',
      componentKubeconfig(this.cluster.layout, 'virtkit-api'),
      ...apiServingArgs(this.cluster.layout, this.ports.api),
      ...apiNodeClientArgs(this.cluster.layout),
    ]);
    const admin = KubeClient.connect({ kubeconfig: this.kubeconfig, fieldManager: 'e2e' });
    try {
      await registerSubresourceApi(admin, { layout: this.cluster.layout, apiPort: this.ports.api }, 180_000);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- api log tail:\n${this.tail('api.log')}`);
    } finally {
      admin.close();
    }
  }

  /**
   * Send this runtime's objects through `virtkit api`'s validating webhook, as local mode does
   * (suites that write objects admission would refuse, to test what the runtime does with them,
   * leave it off).
   */
  async registerAdmission(): Promise<void> {
    const admin = KubeClient.connect({ kubeconfig: this.kubeconfig, fieldManager: 'e2e' });
    try {
      await registerAdmission(admin, { layout: this.cluster.layout, apiPort: this.ports.api });
    } finally {
      admin.close();
    }
  }

  /** Waits until the node (the first by default) is Ready (its handler registered it). */
  async nodeReady(name = this.nodeName): Promise<void> {
    await this.waitFor(`node ${name} Ready`, () => {
      const node = this.get('node', undefined, name);
      return node?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    });
  }

  static async stopChild(child: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await gone;
    clearTimeout(timer);
  }

  /** Pids of launcher processes the handlers recorded in their state dirs that are still alive. */
  liveLaunchers(): number[] {
    return this.nodes.flatMap((n) => Runtime.liveLaunchersIn(n.stateDir));
  }

  /** The launcher of pod `pod` on node `node`, as its handler recorded it (its pid, alive or not). */
  launcherPid(node: string, pod: string): number | undefined {
    return Runtime.launchersIn(this.node(node).stateDir).find((l) => l.pod === pod)?.pid;
  }

  private static liveLaunchersIn(stateDir: string): number[] {
    return Runtime.launchersIn(stateDir)
      .map((l) => l.pid)
      .filter((pid) => {
        try {
          return !/\) [ZX] /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
        } catch {
          return false; // gone
        }
      });
  }

  /** Every launcher a handler recorded in its state dir: its pod's name and its pid. */
  private static launchersIn(stateDir: string): { pod?: string; pid: number }[] {
    const pods = path.join(stateDir, 'pods');
    if (!fs.existsSync(pods)) return [];
    const out: { pod?: string; pid: number }[] = [];
    for (const uid of fs.readdirSync(pods)) {
      try {
        const pid = Number(fs.readFileSync(path.join(pods, uid, 'launcher.pid'), 'utf8').split(/\s+/)[0]);
        let pod: string | undefined;
        try {
          pod = (JSON.parse(fs.readFileSync(path.join(pods, uid, 'pod.json'), 'utf8')) as { name?: string })
            .name;
        } catch {
          // a record not complete yet
        }
        out.push({ ...(pod !== undefined ? { pod } : {}), pid });
      } catch {
        // no launcher started there
      }
    }
    return out;
  }

  /** The handler's pod range and bridge (recorded in its state dir once it started). */
  nodeNetwork(): NodeNetworkChoice {
    const n = readNodeNetwork(this.handlerStateDir);
    if (!n) throw new Error(`the handler recorded no pod network in ${this.handlerStateDir}`);
    return n;
  }

  /** What the handler's pod network still holds on this machine (namespaces, leases, records, bridge). */
  networkLeftovers(): ReturnType<typeof nodeNetworkLeftovers> {
    return nodeNetworkLeftovers(this.handlerStateDir);
  }

  /** `ip -d link show DEV` inside the network namespace of the pod with uid `podUid`. */
  podLinkDetails(podUid: string, dev: string): string {
    const ns = netnsNameFor(instanceTag(this.handlerStateDir), podUid);
    return ipCommand(['-n', ns, '-d', 'link', 'show', 'dev', dev]);
  }

  /**
   * The handler's pod network as the machine shows it, read with `ip` and from its state dir
   * (not through the handler), for counting leaks.
   */
  podNetworkInventory(): PodNetworkInventory {
    const tag = instanceTag(this.handlerStateDir);
    const namespaces = ipCommand(['netns', 'list'])
      .split('\n')
      .map((l) => l.trim().split(/\s+/)[0])
      .filter((n) => n && isOwnNetns(n, tag));
    const { bridge } = this.nodeNetwork();
    // `12: veth1a2b3c4d@if2: <...>`: the name up to the `@` of its peer.
    const veths = ipCommand(['-o', 'link', 'show', 'master', bridge, 'type', 'veth'])
      .split('\n')
      .map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1])
      .filter((n): n is string => !!n);
    const left = this.networkLeftovers();
    return {
      namespaces: namespaces.sort(),
      veths: veths.sort(),
      leases: [...left.leases].sort(),
      records: [...left.records].sort(),
    };
  }

  /** QEMU processes of this runtime: their command line or working directory is under its handler's state. */
  liveQemus(): number[] {
    const found: number[] = [];
    for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      try {
        const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        if (cmd.startsWith('qemu-system') || cmd.includes('/qemu-system')) {
          // The launcher starts QEMU in its pod's qemu dir with paths relative to it, so the
          // working directory names the runtime when the command line does not.
          const cwd = cwdOf(pid);
          if (this.nodes.some((n) => cmd.includes(n.stateDir) || cwd.startsWith(`${n.stateDir}/`)))
            found.push(Number(pid));
        }
      } catch {
        // gone
      }
    }
    return found;
  }

  /** The serial console log of the launcher running `vmi` (its pod's work dir). */
  serialLog(namespace: string, vmiName: string): string | undefined {
    // A pod that still exists comes first: a deleted pod's folder can outlive it for a moment
    // (after a migration and back, the first pod's folder on that node may still be there while
    // the new pod's record has no start time yet). Without a live one, the newest of the rest
    // (the console of a guest whose pod has gone).
    const live = new Set(this.list('pods', namespace).map((p) => p.metadata.uid));
    let best: { file: string; at: string; live: boolean } | undefined;
    for (const { pods, uid } of this.nodes.flatMap((n) => {
      const pods = path.join(n.stateDir, 'pods');
      return fs.existsSync(pods) ? fs.readdirSync(pods).map((uid) => ({ pods, uid })) : [];
    })) {
      try {
        const rec = JSON.parse(fs.readFileSync(path.join(pods, uid, 'pod.json'), 'utf8')) as {
          vmi: { namespace: string; name: string };
          startedAt?: string;
        };
        if (rec.vmi.namespace !== namespace || rec.vmi.name !== vmiName) continue;
        const file = path.join(pods, uid, 'w', 'qemu', 'serial.log');
        const candidate = { file, at: rec.startedAt ?? '', live: live.has(uid) };
        if (
          !best ||
          (candidate.live && !best.live) ||
          (candidate.live === best.live && candidate.at > best.at)
        )
          best = candidate;
      } catch {
        // not a complete record
      }
    }
    return best?.file;
  }

  async stop(): Promise<void> {
    await Runtime.stopChild(this.controller);
    for (const n of this.nodes) await Runtime.stopChild(n.process);
    await Runtime.stopChild(this.api);
    for (const pid of [...this.liveLaunchers(), ...this.liveQemus()]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    // The pod network goes while the API server still runs: whereabouts' DEL releases its
    // addresses in IPPool objects. The cluster stops whatever the release found.
    let leaked: unknown;
    await this.releaseNetwork().catch((e: unknown) => (leaked = e));
    await this.cluster.stop();
    // Block volumes the suite left in place: their loop devices go with the runtime.
    detachLoopsUnder(this.dir);
    if (leaked) throw leaked;
  }

  /**
   * The node's pod network goes with the runtime (its pods were never deleted): CNI DEL for each
   * pod (leases, veths, NAT rules), the namespaces, the bridge, the Kube-OVN Subnet and VLAN bridges
   * the range's claim; then nothing may be left, or stop() says what leaked.
   */
  private async releaseNetwork(): Promise<void> {
    for (const n of this.nodes) await Runtime.releaseNodeNetworkOf(n.stateDir);
  }

  private static async releaseNodeNetworkOf(stateDir: string): Promise<void> {
    if (!readNodeNetwork(stateDir)) return;
    const report = await releaseNodeNetwork({ stateDir });
    const left = nodeNetworkLeftovers(stateDir);
    const leaked = [
      ...left.namespaces.map((n) => `namespace ${n}`),
      ...left.leases.map((f) => `lease ${f}`),
      ...left.records.map((f) => `CNI record ${f}`),
      ...(left.bridge ? [`bridge ${left.bridge}`] : []),
      ...left.kubeOvnBridges.map((b) => `Kube-OVN bridge ${b}`),
      ...left.kubeOvnUplinks.map((u) => `Kube-OVN VLAN uplink ${u}`),
      ...left.kubeOvnTunnels.map((t) => `Kube-OVN tunnel ${t}`),
    ];
    if (leaked.length > 0)
      throw new Error(
        `the runtime's pod network leaked ${leaked.join(', ')}${report.errors.length ? ` (${report.errors.map((e) => e.message).join('; ')})` : ''}`,
      );
  }
}
