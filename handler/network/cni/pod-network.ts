/**
 * A pod's network, the part kubelet and containerd play with libcni, and Multus with its
 * delegates (I/O): `setUp` gives a pod its own network namespace and runs ADD of the default
 * network (eth0) and then of each secondary attachment in order, `tearDown` runs DEL of every
 * attachment (secondary ones in reverse, then the default) with the configuration and result
 * ADD cached and only then removes the namespace, `gc` does tear-down for every pod of this
 * handler that no longer exists (after a crash or while the handler was down). Any failure of
 * setUp leaves nothing behind: DEL runs for every attachment, the namespace and records go.
 */
import { silentLogger, type Logger } from '../../../common/log';
import {
  listCacheRecords,
  recordConfig,
  removeCacheRecord,
  writeCacheRecord,
  type CacheRecord,
} from './cache';
import { loadDefaultNetwork } from './conf-dir';
import { networkConfigListDocument } from './conflist';
import { CniExecError, PodIdentityError, PodNetworkError } from './errors';
import { pluginDirsFrom, type PluginInvoker } from './exec';
import type { Attachment } from './invocation';
import { KeyedLock } from './keyed-lock';
import {
  checkIfName,
  checkPodIdentity,
  containerIdFor,
  instanceTag,
  isOwnNetns,
  netnsNameFor,
} from './names';
import { createNetns, deleteNetns, listNetns, netnsExists, netnsPath } from './netns';
import {
  addNetworkList,
  checkNetworkList,
  checkPluginsInstalled,
  delNetworkList,
  type ListRun,
} from './network-list';
import { cniPaths, type CniPaths } from './paths';
import { parseCniResult, podIpsFromResult, sandboxInterfaces } from './result';
import type {
  CniInterface,
  CniResult,
  JsonObject,
  NetworkConfigList,
  PodIdentity,
  PortMapping,
} from './types';

export const DEFAULT_IFNAME = 'eth0';

export interface PodNetworkOptions {
  /** The handler's state directory; CNI state lives in <stateDir>/cni (see paths.ts). */
  readonly stateDir: string;
  /** The CNI configuration directory. @default <stateDir>/cni/net.d */
  readonly confDir?: string;
  /** Where plugin binaries are. @default $VIRTKIT_CNI_PLUGIN_DIRS, else /usr/lib/cni and /opt/cni/bin */
  readonly pluginDirs?: readonly string[];
  /** Time limit of each plugin run. @default one minute */
  readonly execTimeoutMs?: number;
  /** @default a logger that drops everything */
  readonly log?: Logger;
  /** @default the real plugin binaries */
  readonly invoke?: PluginInvoker;
}

/** One secondary network of a pod (Multus: a NetworkAttachmentDefinition it selects). */
export interface NetworkAttachmentRequest {
  /** What network-status calls it: `<namespace>/<name>` of the NetworkAttachmentDefinition. */
  readonly name: string;
  /** The configuration ADD runs; cached with the record, so DEL works after it changed or went. */
  readonly list: NetworkConfigList;
  /** The interface inside the pod (net1, pod<hash>...). */
  readonly ifName: string;
  /** Capability arguments (mac, ips...) for plugins that declare them. */
  readonly capabilityArgs?: Readonly<Record<string, unknown>>;
}

export interface SetUpOptions {
  /** The pod's interface. @default eth0 */
  readonly ifName?: string;
  /** hostPort mappings for plugins with the portMappings capability (portmap), default network only. */
  readonly portMappings?: readonly PortMapping[];
  /** Other capability arguments (ips, mac, bandwidth...) of the default network's plugins. */
  readonly capabilityArgs?: Readonly<Record<string, unknown>>;
  /**
   * The network that replaces the configuration directory's on the pod's interface (Multus's
   * `v1.multus-cni.io/default-network`). @default the configuration directory's first network
   */
  readonly defaultNetwork?: { readonly name: string; readonly list: NetworkConfigList };
  /** Secondary networks, ADDed after the default network in this order, DELed in reverse before it. */
  readonly attachments?: readonly NetworkAttachmentRequest[];
}

/** One network a set-up pod is attached to (an entry of Multus's network-status). */
export interface AttachmentStatus {
  /** The cluster network's name for the default attachment; `<namespace>/<name>` of a NetworkAttachmentDefinition. */
  readonly name: string;
  /** The CNI network's name (its configuration's `name`). */
  readonly networkName: string;
  readonly ifName: string;
  /** The default network (eth0). */
  readonly default: boolean;
  /** Interfaces inside the pod's namespace. */
  readonly interfaces: readonly CniInterface[];
  /** The addresses on `ifName` inside the pod's namespace, in the result's order. */
  readonly ips: readonly string[];
  /** The MAC of `ifName` as the result reports it. */
  readonly mac?: string;
  readonly result: CniResult;
}

/** What a set-up pod network is: kubelet's podIP/podIPs (the default network's) and its attachments. */
export interface PodNetworkStatus {
  /** The default network's CNI name. */
  readonly networkName: string;
  /** The `ip netns` name of the pod's namespace. */
  readonly netns: string;
  /** /run/netns/<netns>: what a process joins (setns) to live in the pod's network. */
  readonly netnsPath: string;
  /** The default network's interface (eth0). */
  readonly ifName: string;
  /** Interfaces inside the pod's namespace that the default network made. */
  readonly interfaces: readonly CniInterface[];
  /** status.podIP: the first of podIPs; undefined when the network gave no address. */
  readonly podIP?: string;
  /** status.podIPs: the default network's addresses on its interface, in the result's order. */
  readonly podIPs: readonly string[];
  /** The default network's result. */
  readonly result: CniResult;
  /** Every attachment in ADD order: the default network first, then the secondary ones. */
  readonly attachments: readonly AttachmentStatus[];
}

export interface GcReport {
  /** Pods whose network was torn down. */
  readonly tornDown: readonly PodIdentity[];
  /** Namespaces removed that had no record (a crash between making one and writing the record). */
  readonly orphanNamespaces: readonly string[];
  /** What could not be cleaned (kept for the next gc), each naming the pod or file. */
  readonly errors: readonly Error[];
}

type RecordFile = { file: string; record: CacheRecord };

const indexOf = (r: CacheRecord): number => r.index ?? 0;

function attachmentStatusOf(record: CacheRecord): AttachmentStatus {
  const result = parseCniResult(record.result as JsonObject);
  const mac = result.interfaces.find((i) => i.name === record.ifName && i.sandbox !== undefined)?.mac;
  return {
    name: record.attachment ?? record.networkName,
    networkName: record.networkName,
    ifName: record.ifName,
    default: indexOf(record) === 0,
    interfaces: sandboxInterfaces(result),
    ips: podIpsFromResult(result, record.ifName),
    ...(mac !== undefined ? { mac } : {}),
    result,
  };
}

/** The pod's status from its records with a result, or undefined when the default network has none. */
function statusOf(records: readonly RecordFile[]): PodNetworkStatus | undefined {
  const done = records
    .filter(({ record }) => record.result)
    .sort((a, b) => indexOf(a.record) - indexOf(b.record));
  const first = done[0]?.record;
  if (!first || indexOf(first) !== 0) return undefined;
  const attachments = done.map(({ record }) => attachmentStatusOf(record));
  const main = attachments[0];
  return {
    networkName: main.networkName,
    netns: first.netns,
    netnsPath: netnsPath(first.netns),
    ifName: main.ifName,
    interfaces: main.interfaces,
    ...(main.ips[0] !== undefined ? { podIP: main.ips[0] } : {}),
    podIPs: main.ips,
    result: main.result,
    attachments,
  };
}

/** One attachment setUp makes: the default network (index 0) or a secondary one. */
interface PlannedAttachment {
  readonly name: string;
  readonly list: NetworkConfigList;
  readonly ifName: string;
  readonly capabilityArgs: Readonly<Record<string, unknown>>;
  readonly index: number;
  /** Named in error messages when the pod has more than the configuration directory's network. */
  readonly label?: string;
}

export class PodNetwork {
  readonly paths: CniPaths;
  readonly confDir: string;
  readonly pluginDirs: readonly string[];
  /** This handler's mark in namespace names (see names.ts). */
  readonly tag: string;
  private readonly log: Logger;
  private readonly lock = new KeyedLock();

  constructor(private readonly o: PodNetworkOptions) {
    this.paths = cniPaths(o.stateDir);
    this.confDir = o.confDir ?? this.paths.confDir;
    this.pluginDirs = pluginDirsFrom(o.pluginDirs);
    this.tag = instanceTag(o.stateDir);
    this.log = o.log ?? silentLogger();
  }

  /** The namespace name a pod gets on this handler. */
  netnsName(podUid: string): string {
    return netnsNameFor(this.tag, podUid);
  }

  /** The namespaces this handler made that exist now (for leak checks). */
  namespaces(): string[] {
    return listNetns((n) => isOwnNetns(n, this.tag));
  }

  /**
   * Gives the pod its namespace and runs ADD of the network in the configuration directory.
   * Calling it again for a pod that is set up returns the cached status (nothing runs); a pod
   * with leftovers of an earlier failed or interrupted set-up is torn down first.
   */
  setUp(pod: PodIdentity, options: SetUpOptions = {}): Promise<PodNetworkStatus> {
    return this.guard(pod, 'setUp', async () => {
      checkPodIdentity(pod);
      const plan = this.plan(options);
      const existing = this.recordsOf(pod.uid);
      const cached = existing.length === plan.length ? statusOf(existing) : undefined;
      if (
        cached &&
        cached.attachments.length === plan.length &&
        plan.every((p, i) => {
          const a = cached.attachments[i];
          return a.ifName === p.ifName && a.networkName === p.list.name && a.name === p.name;
        }) &&
        netnsExists(cached.netns)
      )
        return cached;
      if (existing.length > 0) await this.tearDownRecords(pod, existing);
      for (const p of plan) {
        try {
          checkPluginsInstalled(p.list, this.pluginDirs);
        } catch (e) {
          throw p.label ? new PodNetworkError(pod, 'setUp', e as Error, p.label) : e;
        }
      }

      const netns = this.netnsName(pod.uid);
      const written: RecordFile[] = [];
      let current: PlannedAttachment | undefined;
      try {
        for (const p of plan) {
          current = p;
          const intent: CacheRecord = {
            kind: 'virtkitCniCacheV1',
            networkName: p.list.name,
            containerId: containerIdFor(pod),
            ifName: p.ifName,
            netns,
            pod: { namespace: pod.namespace, name: pod.name, uid: pod.uid },
            config: networkConfigListDocument(p.list),
            configSource: p.list.source,
            capabilityArgs: p.capabilityArgs,
            attachment: p.name,
            index: p.index,
            pluginDirs: [...this.pluginDirs],
          };
          // The record comes first: whatever happens next, tear-down and gc know what to undo.
          const file = writeCacheRecord(this.paths.cacheDir, intent);
          written.push({ file, record: intent });
          if (p.index === 0) await createNetns(netns);
          const raw = await addNetworkList(this.runOf(intent, p.list));
          try {
            parseCniResult(raw);
          } catch (e) {
            throw new CniExecError(
              p.list.name,
              p.list.plugins[p.list.plugins.length - 1].type,
              'ADD',
              (e as Error).message,
            );
          }
          const record: CacheRecord = { ...intent, result: raw };
          writeCacheRecord(this.paths.cacheDir, record);
          written[written.length - 1] = { file, record };
        }
      } catch (e) {
        await this.undo(pod, written);
        throw current?.label ? new PodNetworkError(pod, 'setUp', e as Error, current.label) : e;
      }
      const status = statusOf(written) as PodNetworkStatus;
      this.log.info(
        { kind: 'Pod', namespace: pod.namespace, name: pod.name, uid: pod.uid },
        `pod network set up in ${netns}: ` +
          status.attachments
            .map((a) => `${a.name} on ${a.ifName}: ${a.ips.join(', ') || 'no address'}`)
            .join('; '),
      );
      return status;
    });
  }

  /**
   * Runs DEL for every network the pod was attached to (with the cached configuration, even
   * when the namespace is gone already), then removes the namespace and the records. A pod with
   * nothing left is fine. When DEL fails the record and namespace stay, so a retry or gc can DEL
   * again, and the error says which plugin failed.
   */
  tearDown(pod: PodIdentity): Promise<void> {
    return this.guard(pod, 'tearDown', async () => {
      await this.tearDownRecords(pod, this.recordsOf(pod.uid));
    });
  }

  /** The status of a set-up pod from the cache (nothing runs), e.g. after a handler restart. */
  status(pod: PodIdentity): PodNetworkStatus | undefined {
    return statusOf(this.recordsOf(pod.uid));
  }

  /**
   * CHECK of every attachment of the pod with its cached result. Resolves false when the
   * default network's version has no CHECK (before 0.4.0) or it is disabled; rejects with
   * PodNetworkError when a plugin finds a network broken or the pod is not set up.
   */
  check(pod: PodIdentity): Promise<boolean> {
    return this.guard(pod, 'check', async () => {
      const done = this.recordsOf(pod.uid)
        .filter(({ record }) => record.result)
        .sort((a, b) => indexOf(a.record) - indexOf(b.record));
      if (done.length === 0 || indexOf(done[0].record) !== 0)
        throw new Error('the pod has no network set up on this node (no cached ADD result)');
      const checked: boolean[] = [];
      for (const { file, record } of done) {
        const list = recordConfig(record, file);
        if (!netnsExists(record.netns))
          throw new CniExecError(
            list.name,
            list.plugins[0].type,
            'CHECK',
            `network namespace ${record.netns} is gone`,
          );
        checked.push(await checkNetworkList(this.runOf(record, list), record.result));
      }
      return checked[0];
    });
  }

  /**
   * Tears down every pod of this handler whose uid is not in `livePodUids`, and removes
   * namespaces of this handler no record explains. Pods with an operation in progress are left
   * alone. Failures are reported (and retried by the next gc), never thrown.
   */
  async gc(livePodUids: Iterable<string>): Promise<GcReport> {
    const live = new Set(livePodUids);
    const tornDown: PodIdentity[] = [];
    const errors: Error[] = [];
    const listing = listCacheRecords(this.paths.cacheDir);
    for (const b of listing.broken) errors.push(b.error);
    const dead = new Map<string, PodIdentity>();
    for (const { record } of listing.records)
      if (!live.has(record.pod.uid) && !this.lock.busy(record.pod.uid)) dead.set(record.pod.uid, record.pod);
    for (const pod of dead.values()) {
      try {
        await this.tearDown(pod);
        tornDown.push(pod);
      } catch (e) {
        errors.push(e as Error);
      }
    }
    // Namespaces still explained: live or busy pods, and records whose DEL failed (kept for retry).
    const keep = new Set<string>();
    for (const uid of [...live, ...this.lock.keys()]) keep.add(this.netnsName(uid));
    for (const { record } of listCacheRecords(this.paths.cacheDir).records) keep.add(record.netns);
    const orphanNamespaces: string[] = [];
    for (const name of this.namespaces()) {
      if (keep.has(name)) continue;
      try {
        await deleteNetns(name);
        orphanNamespaces.push(name);
      } catch (e) {
        errors.push(e as Error);
      }
    }
    if (tornDown.length > 0 || orphanNamespaces.length > 0)
      this.log.info(
        `pod network gc: tore down ${tornDown.length} pod(s), removed ${orphanNamespaces.length} orphan namespace(s)`,
      );
    return { tornDown, orphanNamespaces, errors };
  }

  // ---- internals ----

  private recordsOf(uid: string): RecordFile[] {
    return listCacheRecords(this.paths.cacheDir).records.filter(({ record }) => record.containerId === uid);
  }

  /** The attachments setUp makes, in ADD order; throws PodIdentityError for a bad or repeated interface. */
  private plan(options: SetUpOptions): PlannedAttachment[] {
    const defaultList = options.defaultNetwork?.list ?? loadDefaultNetwork(this.confDir);
    const capabilityArgs: Record<string, unknown> = { ...options.capabilityArgs };
    if (options.portMappings) capabilityArgs.portMappings = options.portMappings;
    const ifName = options.ifName ?? DEFAULT_IFNAME;
    const plan: PlannedAttachment[] = [
      {
        name: options.defaultNetwork?.name ?? defaultList.name,
        list: defaultList,
        ifName,
        capabilityArgs,
        index: 0,
        ...(options.defaultNetwork
          ? { label: `default network ${options.defaultNetwork.name} (interface ${ifName})` }
          : {}),
      },
      ...(options.attachments ?? []).map((a, i) => ({
        name: a.name,
        list: a.list,
        ifName: a.ifName,
        capabilityArgs: { ...a.capabilityArgs },
        index: i + 1,
        label: `network ${a.name} (interface ${a.ifName})`,
      })),
    ];
    const seen = new Set<string>();
    for (const p of plan) {
      checkIfName(p.ifName);
      if (seen.has(p.ifName))
        throw new PodIdentityError(
          'ifName',
          p.ifName,
          "is the interface of two of the pod's networks; give each its own",
        );
      seen.add(p.ifName);
    }
    return plan;
  }

  private runOf(record: CacheRecord, list: ListRun['list']): ListRun {
    const attachment: Attachment = {
      containerId: record.containerId,
      netns: netnsPath(record.netns),
      ifName: record.ifName,
      pod: record.pod,
    };
    return {
      list,
      attachment,
      capabilityArgs: record.capabilityArgs,
      // This handler's folders first, then those ADD ran with (DEL must find every plugin ADD ran).
      pluginDirs: [...new Set([...this.pluginDirs, ...(record.pluginDirs ?? [])])],
      ...(this.o.execTimeoutMs !== undefined ? { timeoutMs: this.o.execTimeoutMs } : {}),
      ...(this.o.invoke ? { invoke: this.o.invoke } : {}),
    };
  }

  /**
   * DEL of every attachment, secondary ones in reverse order and the default network last, each
   * with its cached configuration and result; the namespace goes only after all of them (bridge
   * reads the pod's addresses from it to remove its NAT rules), then the records. When a DEL
   * fails, its record and the namespace stay (so a retry or gc runs it again) and the first
   * failure is thrown; the records of the attachments that were undone go.
   */
  private async tearDownRecords(pod: PodIdentity, records: readonly RecordFile[]): Promise<void> {
    const ordered = [...records].sort((a, b) => indexOf(b.record) - indexOf(a.record));
    const failures: Error[] = [];
    const undone: string[] = [];
    for (const { file, record } of ordered) {
      try {
        const list = recordConfig(record, file);
        await delNetworkList(this.runOf(record, list), record.result);
        undone.push(file);
      } catch (e) {
        failures.push(e as Error);
      }
    }
    if (failures.length > 0) {
      for (const file of undone) removeCacheRecord(file);
      throw failures[0];
    }
    // The namespaces the records name, and one made for the pod without a record (there is none
    // when set-up never got so far).
    for (const ns of new Set([...records.map((r) => r.record.netns), this.netnsName(pod.uid)]))
      await deleteNetns(ns);
    for (const file of undone) removeCacheRecord(file);
    if (records.length > 0)
      this.log.info(
        { kind: 'Pod', namespace: pod.namespace, name: pod.name, uid: pod.uid },
        `pod network torn down (${ordered.map((r) => `${r.record.attachment ?? r.record.networkName} on ${r.record.ifName}`).join(', ')})`,
      );
  }

  /**
   * After a failed ADD: DEL of every attachment tried (the failed one without a result), then
   * the namespace and records go. When a DEL fails, its record and the namespace stay (logged)
   * so the next setUp, tearDown or gc runs DEL again instead of leaking a lease.
   */
  private async undo(pod: PodIdentity, written: readonly RecordFile[]): Promise<void> {
    const who = { kind: 'Pod', namespace: pod.namespace, name: pod.name, uid: pod.uid };
    try {
      await this.tearDownRecords(pod, written);
    } catch (e) {
      this.log.warn(who, `clean-up after a failed ADD (kept for the next gc): ${(e as Error).message}`);
    }
  }

  /** Runs `fn` under the pod's lock and wraps any failure in PodNetworkError. */
  private guard<T>(pod: PodIdentity, action: PodNetworkError['action'], fn: () => Promise<T>): Promise<T> {
    return this.lock.run(pod.uid, async () => {
      try {
        return await fn();
      } catch (e) {
        if (e instanceof PodNetworkError) throw e;
        throw new PodNetworkError(pod, action, e as Error);
      }
    });
  }
}
