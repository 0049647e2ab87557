/**
 * A pod's network, the part kubelet and containerd play with libcni (I/O): `setUp` gives a pod
 * its own network namespace and runs the network's CNI plugins (ADD) in it, `tearDown` runs DEL
 * with the configuration and result ADD cached and removes the namespace, `gc` does tear-down
 * for every pod of this handler that no longer exists (after a crash or while the handler was
 * down). Any failure of setUp leaves nothing behind: DEL runs, the namespace and record go.
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
import { CniExecError, PodNetworkError } from './errors';
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
import type { CniInterface, CniResult, JsonObject, PodIdentity, PortMapping } from './types';

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

export interface SetUpOptions {
  /** The pod's interface. @default eth0 */
  readonly ifName?: string;
  /** hostPort mappings for plugins with the portMappings capability (portmap). */
  readonly portMappings?: readonly PortMapping[];
  /** Other capability arguments (ips, mac, bandwidth...) for plugins that declare them. */
  readonly capabilityArgs?: Readonly<Record<string, unknown>>;
}

/** What a set-up pod network is: kubelet's podIP/podIPs and where the interfaces are. */
export interface PodNetworkStatus {
  readonly networkName: string;
  /** The `ip netns` name of the pod's namespace. */
  readonly netns: string;
  /** /run/netns/<netns>: what a process joins (setns) to live in the pod's network. */
  readonly netnsPath: string;
  readonly ifName: string;
  /** Interfaces inside the pod's namespace. */
  readonly interfaces: readonly CniInterface[];
  /** status.podIP: the first of podIPs; undefined when the network gave no address. */
  readonly podIP?: string;
  /** status.podIPs, in the result's order. */
  readonly podIPs: readonly string[];
  readonly result: CniResult;
}

export interface GcReport {
  /** Pods whose network was torn down. */
  readonly tornDown: readonly PodIdentity[];
  /** Namespaces removed that had no record (a crash between making one and writing the record). */
  readonly orphanNamespaces: readonly string[];
  /** What could not be cleaned (kept for the next gc), each naming the pod or file. */
  readonly errors: readonly Error[];
}

function statusOf(record: CacheRecord, result: CniResult): PodNetworkStatus {
  const podIPs = podIpsFromResult(result, record.ifName);
  return {
    networkName: record.networkName,
    netns: record.netns,
    netnsPath: netnsPath(record.netns),
    ifName: record.ifName,
    interfaces: sandboxInterfaces(result),
    ...(podIPs[0] !== undefined ? { podIP: podIPs[0] } : {}),
    podIPs,
    result,
  };
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
      const ifName = options.ifName ?? DEFAULT_IFNAME;
      checkIfName(ifName);
      const list = loadDefaultNetwork(this.confDir);
      const existing = this.recordsOf(pod.uid);
      const done = existing.find(
        ({ record }) => record.result && record.ifName === ifName && record.networkName === list.name,
      );
      if (done && existing.length === 1 && netnsExists(done.record.netns))
        return statusOf(done.record, parseCniResult(done.record.result as JsonObject));
      if (existing.length > 0) await this.tearDownRecords(pod, existing);
      checkPluginsInstalled(list, this.pluginDirs);

      const netns = this.netnsName(pod.uid);
      const capabilityArgs: Record<string, unknown> = { ...options.capabilityArgs };
      if (options.portMappings) capabilityArgs.portMappings = options.portMappings;
      const intent: CacheRecord = {
        kind: 'virtkitCniCacheV1',
        networkName: list.name,
        containerId: containerIdFor(pod),
        ifName,
        netns,
        pod: { namespace: pod.namespace, name: pod.name, uid: pod.uid },
        config: networkConfigListDocument(list),
        configSource: list.source,
        capabilityArgs,
      };
      // The record comes first: whatever happens next, tear-down and gc know what to undo.
      const file = writeCacheRecord(this.paths.cacheDir, intent);
      const run: ListRun = this.runOf(intent, list);
      try {
        await createNetns(netns);
        const raw = await addNetworkList(run);
        let result: CniResult;
        try {
          result = parseCniResult(raw);
        } catch (e) {
          throw new CniExecError(
            list.name,
            list.plugins[list.plugins.length - 1].type,
            'ADD',
            (e as Error).message,
          );
        }
        const record: CacheRecord = { ...intent, result: raw };
        writeCacheRecord(this.paths.cacheDir, record);
        const status = statusOf(record, result);
        this.log.info(
          { kind: 'Pod', namespace: pod.namespace, name: pod.name, uid: pod.uid },
          `pod network ${list.name} set up in ${netns}: ${status.podIPs.join(', ') || 'no address'}`,
        );
        return status;
      } catch (e) {
        await this.undo(pod, run, netns, file);
        throw e;
      }
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
    const done = this.recordsOf(pod.uid).find(({ record }) => record.result);
    return done && statusOf(done.record, parseCniResult(done.record.result as JsonObject));
  }

  /**
   * CHECK of the pod's network with the cached result. Resolves false when the network's
   * version has no CHECK (before 0.4.0) or it is disabled; rejects with PodNetworkError when a
   * plugin finds the network broken or the pod is not set up.
   */
  check(pod: PodIdentity): Promise<boolean> {
    return this.guard(pod, 'check', async () => {
      const done = this.recordsOf(pod.uid).find(({ record }) => record.result);
      if (!done) throw new Error('the pod has no network set up on this node (no cached ADD result)');
      const list = recordConfig(done.record, done.file);
      if (!netnsExists(done.record.netns))
        throw new CniExecError(
          list.name,
          list.plugins[0].type,
          'CHECK',
          `network namespace ${done.record.netns} is gone`,
        );
      return checkNetworkList(this.runOf(done.record, list), done.record.result);
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

  private recordsOf(uid: string): { file: string; record: CacheRecord }[] {
    return listCacheRecords(this.paths.cacheDir).records.filter(({ record }) => record.containerId === uid);
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
      pluginDirs: this.pluginDirs,
      ...(this.o.execTimeoutMs !== undefined ? { timeoutMs: this.o.execTimeoutMs } : {}),
      ...(this.o.invoke ? { invoke: this.o.invoke } : {}),
    };
  }

  private async tearDownRecords(
    pod: PodIdentity,
    records: { file: string; record: CacheRecord }[],
  ): Promise<void> {
    const failures: Error[] = [];
    for (const { file, record } of records) {
      try {
        const list = recordConfig(record, file);
        // DEL before the namespace goes: bridge reads the pod's addresses from it to remove its NAT rules.
        await delNetworkList(this.runOf(record, list), record.result);
        await deleteNetns(record.netns);
        removeCacheRecord(file);
      } catch (e) {
        failures.push(e as Error);
      }
    }
    if (failures.length > 0) throw failures[0];
    // A namespace made for the pod without a record (there is none when set-up never got so far).
    await deleteNetns(this.netnsName(pod.uid));
    if (records.length > 0)
      this.log.info(
        { kind: 'Pod', namespace: pod.namespace, name: pod.name, uid: pod.uid },
        `pod network torn down (${records.map((r) => r.record.networkName).join(', ')})`,
      );
  }

  /**
   * After a failed ADD: DEL, then the namespace and record go. When DEL fails too, both stay
   * (logged) so the next setUp, tearDown or gc runs DEL again instead of leaking a lease.
   */
  private async undo(pod: PodIdentity, run: ListRun, netns: string, file: string): Promise<void> {
    const who = { kind: 'Pod', namespace: pod.namespace, name: pod.name, uid: pod.uid };
    try {
      await delNetworkList(run, undefined);
      await deleteNetns(netns);
      removeCacheRecord(file);
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
