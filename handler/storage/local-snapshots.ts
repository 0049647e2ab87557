/**
 * The node's snapshotter (the role of the external-snapshotter's sidecar, for virtkit's local
 * driver, run by the handler of each node): watches VolumeSnapshotContents, takes the snapshots
 * of this node's volumes into `<root>/snapshots/`, imports pre-provisioned ones, and removes the
 * data of deleted ones. Decisions are ./local-snapshot-plan.ts, copies ./snapshot-files.ts.
 * Level-triggered: a snapshot is built in a `.partial-` directory and renamed into place with its
 * manifest, so a restarted handler either finds it complete (and writes status from its manifest)
 * or starts it again. The snapshot API is optional: nothing is watched until it is served.
 */
import * as fs from 'fs';
import { SNAPSHOT_NODE_ANNOTATION, SNAPSHOTS_DIRECTORY } from '../../api/storage/local';
import type { VolumeSnapshotContent, VolumeSnapshotContentStatus } from '../../api/volumesnapshot/v1';
import { assertConfined } from '../../common/confine';
import type { Logger } from '../../common/log';
import {
  ApiPresence,
  errorMessage,
  EventRecorder,
  Informer,
  isNotFound,
  PVS,
  VOLUME_SNAPSHOT_CONTENTS,
  WorkQueue,
  type KubeClient,
} from '../../kube';
import { runWorker } from '../work-loop';
import { decideContent, type SnapshotDecision, type SnapshotLayout } from './local-snapshot-plan';
import type { VolumeObject } from './local-volume-plan';
import {
  commitDirectory,
  copyVerified,
  dataFiles,
  MANIFEST_FORMAT,
  readManifest,
  SnapshotDataError,
  writeManifest,
  type SnapshotManifest,
} from './snapshot-files';
import { metav1Time } from '../../api/k8s/meta';

export interface LocalSnapshotsOptions {
  readonly client: KubeClient;
  readonly nodeName: string;
  /** The local volumes' root (the provisioner's): snapshots live in `<root>/snapshots`. */
  readonly root: string;
  readonly recorder: EventRecorder;
  readonly log: Logger;
  /** How often to look for the snapshot CRDs while the API server does not serve them. @default 30 s */
  readonly pollMs?: number;
}

/** Nanoseconds since the epoch as a decimal string (past 2^53: no float on the way). */
function nowNanoseconds(): string {
  return (BigInt(Date.now()) * 1_000_000n).toString();
}

export class LocalSnapshotter {
  private readonly contents: Informer<VolumeSnapshotContent>;
  private readonly queue = new WorkQueue('handler-local-snapshots', { baseMs: 1000, maxMs: 120_000 });
  private readonly presence: ApiPresence;
  private workers: Promise<void>[] = [];
  private workerCount = 1;

  constructor(private readonly o: LocalSnapshotsOptions) {
    this.contents = new Informer<VolumeSnapshotContent>(
      o.client.listWatch<VolumeSnapshotContent>(VOLUME_SNAPSHOT_CONTENTS),
      {},
      { onError: (m) => o.log.warn({ kind: 'VolumeSnapshotContent' }, `watch: ${m}`) },
    );
    const add = (c: VolumeSnapshotContent): void => this.queue.add(c.metadata?.name ?? '');
    this.contents.addHandlers({ onAdd: add, onUpdate: (_a, b) => add(b) });
    this.presence = new ApiPresence(o.client, [VOLUME_SNAPSHOT_CONTENTS], () => void this.run(), {
      onError: (m) => o.log.warn(m),
      ...(o.pollMs !== undefined ? { pollMs: o.pollMs } : {}),
    });
  }

  /** Starts looking for the snapshot API; resolves once it is known whether it is served (and, if so, synced). */
  async start(workers = 1): Promise<void> {
    this.workerCount = workers;
    this.presence.start();
    await this.presence.answered();
    if (this.presence.served) await this.contents.waitForSync();
    else
      this.o.log.info(
        `the API server does not serve ${this.presence.description}: local snapshots wait until the CRD is installed`,
      );
  }

  private async run(): Promise<void> {
    this.contents.start();
    await this.contents.waitForSync();
    for (let i = 0; i < this.workerCount; i++)
      this.workers.push(
        runWorker(
          this.queue,
          (k) => this.reconcile(k),
          (key, e) =>
            this.o.log.warn(
              { kind: 'VolumeSnapshotContent', name: key },
              `local snapshots: ${errorMessage(e)}`,
            ),
        ),
      );
  }

  async stop(): Promise<void> {
    this.queue.shutDown();
    await this.presence.stop();
    await this.contents.stop();
    await Promise.all(this.workers);
  }

  private async reconcile(name: string): Promise<number | undefined> {
    const content = this.contents.cache.get(name);
    if (!content) return undefined;
    // The source volume is read only while it may still be snapshotted here (not for every
    // change of a finished or foreign content).
    const handle = content.spec?.source?.volumeHandle;
    const holder = content.metadata?.annotations?.[SNAPSHOT_NODE_ANNOTATION];
    const volume =
      handle &&
      !content.metadata?.deletionTimestamp &&
      !(content.status?.readyToUse === true && content.status.snapshotHandle) &&
      (holder === undefined || holder === this.o.nodeName)
        ? await this.o.client.getIfExists<VolumeObject>(PVS, undefined, handle)
        : undefined;
    const d = decideContent(content, volume, this.o.nodeName, this.o.root);
    switch (d.kind) {
      case 'skip':
        return undefined;
      case 'claim':
        await this.patch(name, d.patch);
        return undefined;
      case 'fail':
        await this.fail(content, d.message);
        return undefined;
      case 'remove':
        if (d.target) this.removeData(name, d.target);
        await this.patch(name, d.patch);
        this.o.log.info(
          { kind: 'VolumeSnapshotContent', name },
          d.target
            ? `deleted the snapshot's data (${d.target.directory})`
            : 'released (deletionPolicy Retain: data kept)',
        );
        return undefined;
      case 'take':
      case 'import':
        try {
          const manifest =
            d.kind === 'take' ? await this.take(name, d) : await this.import(name, d.directory);
          await this.ready(content, d.handle, manifest, d.kind);
        } catch (e) {
          if (!(e instanceof SnapshotDataError)) throw e;
          await this.fail(content, `VolumeSnapshotContent ${name}: ${e.message}`);
          throw e; // tried again with the queue's back-off
        }
        return undefined;
    }
  }

  /** Builds the snapshot in its partial directory, checks it, and renames it into place. */
  private async take(
    name: string,
    d: Extract<SnapshotDecision, { kind: 'take' }>,
  ): Promise<SnapshotManifest> {
    const field = `VolumeSnapshotContent ${name} snapshot directory`;
    assertConfined(this.o.root, d.target.directory, field);
    assertConfined(this.o.root, d.target.partial, field);
    assertConfined(this.o.root, d.source.directory, `PersistentVolume ${d.volume} spec.local.path`);
    // Made before a crash: complete, since only a finished copy is renamed into place.
    if (fs.existsSync(d.target.directory)) {
      const m = await readManifest(d.target.directory);
      if (m.content !== name)
        throw new SnapshotDataError(
          `${d.target.directory} holds the snapshot of VolumeSnapshotContent ${m.content}, not of ${name}; move it away`,
        );
      return m;
    }
    fs.mkdirSync(`${this.o.root}/${SNAPSHOTS_DIRECTORY}`, { recursive: true, mode: 0o700 });
    fs.rmSync(d.target.partial, { recursive: true, force: true });
    fs.mkdirSync(d.target.partial, { mode: 0o700 });
    const creationTime = nowNanoseconds();
    try {
      const files = d.source.files ?? dataFiles(d.source.directory);
      const copied = await copyVerified(d.source.directory, d.target.partial, files);
      const manifest: SnapshotManifest = {
        format: MANIFEST_FORMAT,
        content: name,
        volume: d.volume,
        volumeMode: d.volumeMode,
        restoreSize: d.restoreSize,
        creationTime,
        files: copied,
      };
      await writeManifest(d.target.partial, manifest);
      await commitDirectory(d.target.partial, d.target.directory);
      return manifest;
    } catch (e) {
      // Nothing half-made stays behind.
      fs.rmSync(d.target.partial, { recursive: true, force: true });
      if (e instanceof Error && (e as NodeJS.ErrnoException).code === 'ENOENT')
        throw new SnapshotDataError(
          `a file of PersistentVolume ${d.volume} went away while it was copied: ${e.message}`,
        );
      throw e;
    }
  }

  private async import(name: string, directory: string): Promise<SnapshotManifest> {
    assertConfined(this.o.root, directory, `VolumeSnapshotContent ${name} spec.source.snapshotHandle`);
    return readManifest(directory);
  }

  private removeData(name: string, target: SnapshotLayout): void {
    const field = `VolumeSnapshotContent ${name} snapshot directory`;
    assertConfined(this.o.root, target.directory, field);
    assertConfined(this.o.root, target.partial, field);
    fs.rmSync(target.partial, { recursive: true, force: true });
    fs.rmSync(target.directory, { recursive: true, force: true });
  }

  private async ready(
    content: VolumeSnapshotContent,
    handle: string,
    m: SnapshotManifest,
    how: 'take' | 'import',
  ): Promise<void> {
    const name = content.metadata?.name ?? '';
    const status: VolumeSnapshotContentStatus = {
      snapshotHandle: handle,
      // Kubernetes reads int64 nanoseconds; a JSON number carries them to within a microsecond.
      creationTime: Number(m.creationTime),
      readyToUse: true,
      restoreSize: m.restoreSize,
    };
    await this.writeStatus(content, status);
    const bytes = m.files.reduce((n, f) => n + f.size, 0);
    await this.o.recorder.record(content, {
      type: 'Normal',
      reason: how === 'take' ? 'SnapshotCreated' : 'SnapshotImported',
      message:
        how === 'take'
          ? `Took the snapshot of PersistentVolume ${m.volume} on node ${this.o.nodeName}: ${m.files.length} file(s), ${bytes} bytes, copied with cp --reflink=auto (copy-on-write where the filesystem allows) and checked by SHA-256 (${handle})`
          : `Found snapshot ${handle} on node ${this.o.nodeName} (${m.files.length} file(s), restore size ${m.restoreSize} bytes)`,
    });
    this.o.log.info({ kind: 'VolumeSnapshotContent', name }, `snapshot ready: ${handle}`);
  }

  /** status.error (readyToUse false) and a Warning, once per message. */
  private async fail(content: VolumeSnapshotContent, message: string): Promise<void> {
    if (content.status?.error?.message === message) return;
    await this.writeStatus(content, {
      ...(content.status ?? {}),
      readyToUse: false,
      error: { message, time: metav1Time() },
    });
    await this.o.recorder.record(content, { type: 'Warning', reason: 'SnapshotCreationFailed', message });
    this.o.log.warn({ kind: 'VolumeSnapshotContent', name: content.metadata?.name }, message);
  }

  private async writeStatus(
    content: VolumeSnapshotContent,
    status: VolumeSnapshotContentStatus,
  ): Promise<void> {
    const name = content.metadata?.name ?? '';
    // The cached object's resourceVersion: a newer write (a deletion, another status) makes this
    // fail with a conflict, and the content is looked at again.
    try {
      await this.o.client.updateStatus(VOLUME_SNAPSHOT_CONTENTS, undefined, name, { ...content, status });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  private async patch(name: string, ops: readonly unknown[]): Promise<void> {
    try {
      await this.o.client.jsonPatch(VOLUME_SNAPSHOT_CONTENTS, undefined, name, [...ops]);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}
