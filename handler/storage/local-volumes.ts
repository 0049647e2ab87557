/**
 * The node's local volume provisioner (the role of an external provisioner such as
 * local-path-provisioner, run by the handler of each node): watches claims, volumes and
 * StorageClasses, creates a directory and a PersistentVolume for each claim of a
 * `virtkit.io/local-volume` class that this node is to serve, and deletes the data and the
 * volume of a Released claim whose class says Delete. The decisions are ./local-volume-plan.ts;
 * binding is the cluster's own PV controller's. Level-triggered: a restarted handler finishes
 * what it started (a directory without its volume is reused; a volume without its directory is
 * still deleted). Block volumes are loop devices over a sparse file (./loop-devices.ts), attached
 * again whenever the handler finds one of its Block volumes without one (after a reboot).
 * A claim whose dataSource is a VolumeSnapshot of the local driver is restored on the node that
 * holds the snapshot (./local-restore-plan.ts): its directory is filled from the snapshot, checked,
 * and only then renamed into place and given its volume.
 */
import * as fs from 'fs';
import { assertConfined } from '../../common/confine';
import { keyFields, type Logger } from '../../common/log';
import {
  EventRecorder,
  Informer,
  WorkQueue,
  errorMessage,
  isAlreadyExists,
  isNotFound,
  PVCS,
  PVS,
  STORAGE_CLASSES,
  VOLUME_SNAPSHOT_CONTENTS,
  VOLUME_SNAPSHOTS,
  type KubeClient,
} from '../../kube';
import { confinedPath } from '../../api/host-path';
import type { VolumeSnapshot, VolumeSnapshotContent } from '../../api/volumesnapshot/v1';
import { runWorker } from '../work-loop';
import { attachLoop, detachLoops, ensureBackingFile, ensureDeviceNode } from './loop-devices';
import { decideRestore, RESTORE_RECHECK_MS, type RestoreDecision } from './local-restore-plan';
import {
  BLOCK_BACKING_FILE,
  blockToAttach,
  decideClaim,
  LOCAL_PROVISIONER,
  volumeToDelete,
  type ClaimDecision,
  type ClaimObject,
  type StorageClassObject,
  type VolumeObject,
} from './local-volume-plan';
import { commitDirectory, copyVerified, readManifest, SnapshotDataError } from './snapshot-files';
import { giveDirectory } from './owned-directory';

export interface LocalVolumesOptions {
  readonly client: KubeClient;
  readonly nodeName: string;
  /** Where the volumes' directories live (`<root>/pvc-<uid>`). */
  readonly root: string;
  /**
   * Who a new (not restored) Filesystem volume's directory belongs to, mode 0750: on kubelet
   * nodes KubeVirt's qemu user (107), which CDI's importer pods and the launchers run as, so
   * they write in it without privileges. Unset: root's, 0700 (local mode's runners are root's).
   */
  readonly owner?: { readonly uid: number; readonly gid: number };
  readonly recorder: EventRecorder;
  readonly log: Logger;
}

export class LocalVolumeProvisioner {
  private readonly claims: Informer<ClaimObject>;
  private readonly volumes: Informer<VolumeObject>;
  private readonly classes: Informer<StorageClassObject>;
  private readonly queue = new WorkQueue('handler-local-volumes', { baseMs: 500, maxMs: 60_000 });
  private workers: Promise<void>[] = [];
  /** Claims refused already with this message (one Event per claim and reason). */
  private readonly refused = new Map<string, string>();

  constructor(private readonly o: LocalVolumesOptions) {
    const onError = (kind: string) => (m: string) => o.log.warn({ kind }, `watch: ${m}`);
    this.claims = new Informer<ClaimObject>(
      o.client.listWatch<ClaimObject>(PVCS),
      {},
      {
        onError: onError('PersistentVolumeClaim'),
      },
    );
    this.volumes = new Informer<VolumeObject>(
      o.client.listWatch<VolumeObject>(PVS),
      {},
      {
        onError: onError('PersistentVolume'),
      },
    );
    this.classes = new Informer<StorageClassObject>(
      o.client.listWatch<StorageClassObject>(STORAGE_CLASSES),
      {},
      {
        onError: onError('StorageClass'),
      },
    );
    const claimKey = (c: ClaimObject): void =>
      this.queue.add(`claim/${c.metadata?.namespace ?? ''}/${c.metadata?.name ?? ''}`);
    this.claims.addHandlers({ onAdd: claimKey, onUpdate: (_a, b) => claimKey(b) });
    const volumeKey = (v: VolumeObject): void => this.queue.add(`volume/${v.metadata?.name ?? ''}`);
    this.volumes.addHandlers({ onAdd: volumeKey, onUpdate: (_a, b) => volumeKey(b) });
    // A class created after its claims: look at every claim again.
    this.classes.addHandlers({ onAdd: () => this.claims.cache.list().forEach(claimKey) });
  }

  async start(workers = 1): Promise<void> {
    fs.mkdirSync(this.o.root, { recursive: true, mode: 0o700 });
    this.claims.start();
    this.volumes.start();
    this.classes.start();
    await Promise.all([this.claims.waitForSync(), this.volumes.waitForSync(), this.classes.waitForSync()]);
    for (let i = 0; i < workers; i++)
      this.workers.push(
        runWorker(
          this.queue,
          (k) => this.reconcile(k),
          (key, e) => this.o.log.warn({ key }, `local volumes: ${errorMessage(e)}`),
        ),
      );
  }

  async stop(): Promise<void> {
    this.queue.shutDown();
    await Promise.all([this.claims.stop(), this.volumes.stop(), this.classes.stop()]);
    await Promise.all(this.workers);
  }

  private async reconcile(key: string): Promise<number | undefined> {
    const [kind, ...rest] = key.split('/');
    if (kind === 'claim') return this.reconcileClaim(rest.join('/'));
    if (kind === 'volume') return this.reconcileVolume(rest.join('/'));
    return undefined;
  }

  private async reconcileClaim(key: string): Promise<number | undefined> {
    const claim = this.claims.cache.get(key);
    if (!claim) {
      this.refused.delete(key);
      return undefined;
    }
    const sc = this.classes.cache.get(claim.spec?.storageClassName ?? '');
    const decision = decideClaim(claim, sc, this.o.nodeName, this.o.root);
    if (decision.kind === 'skip') return undefined;
    const target = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: claim.metadata };
    if (decision.kind === 'refuse') {
      if (this.refused.get(key) !== decision.event.message) {
        this.refused.set(key, decision.event.message);
        await this.o.recorder.record(target, decision.event);
        this.o.log.warn(keyFields('PersistentVolumeClaim', key), decision.event.message);
      }
      return undefined;
    }
    const name = decision.volume.metadata?.name ?? '';
    if (this.volumes.cache.get(name)) return undefined; // made already; the PV controller binds it
    // The directory first: a volume never names a path that does not exist. No symlink on the
    // way may lead it out of the root.
    assertConfined(this.o.root, decision.directory, `PersistentVolume ${name} spec.local.path`);
    if (decision.restoreFrom) {
      // A restore: the directory appears only complete, with the snapshot's data in it.
      const r = await this.restoreDecision(claim, decision.restoreFrom, sc);
      if (r.kind === 'skip') return undefined;
      if (r.kind === 'wait' || r.kind === 'refuse') {
        const event = r.event;
        if (event && this.refused.get(key) !== event.message) {
          this.refused.set(key, event.message);
          await this.o.recorder.record(target, event);
          this.o.log.warn(keyFields('PersistentVolumeClaim', key), event.message);
        }
        return r.kind === 'wait' ? RESTORE_RECHECK_MS : undefined;
      }
      try {
        await this.restore(decision, r);
      } catch (e) {
        const message = `PersistentVolumeClaim ${key}: restoring ${r.handle} on node ${this.o.nodeName} failed: ${errorMessage(e)}`;
        if (this.refused.get(key) !== message) {
          this.refused.set(key, message);
          await this.o.recorder.record(target, { type: 'Warning', reason: 'ProvisioningFailed', message });
        }
        throw e; // tried again with the queue's back-off
      }
    } else {
      try {
        fs.mkdirSync(decision.directory, { mode: 0o700 });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e; // an earlier try made it
      }
      if (this.o.owner && !decision.block) giveDirectory(decision.directory, this.o.owner);
    }
    if (decision.block) {
      // The device before the volume that names it: backing file, loop device, node.
      assertConfined(this.o.root, decision.block.backingFile, `PersistentVolume ${name} backing file`);
      assertConfined(this.o.root, decision.block.deviceNode, `PersistentVolume ${name} spec.local.path`);
      try {
        ensureBackingFile(decision.block.backingFile, decision.block.sizeBytes);
        ensureDeviceNode(decision.block.deviceNode, attachLoop(decision.block.backingFile));
      } catch (e) {
        // Told to the claim's owner, then tried again with the queue's back-off.
        const message = `PersistentVolumeClaim ${key}: the Block volume could not be set up on node ${this.o.nodeName}: ${errorMessage(e)}`;
        if (this.refused.get(key) !== message) {
          this.refused.set(key, message);
          await this.o.recorder.record(target, { type: 'Warning', reason: 'ProvisioningFailed', message });
        }
        throw e;
      }
    }
    try {
      await this.o.client.create(PVS, undefined, decision.volume);
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
      return undefined; // another node (Immediate binding) or an earlier try made it
    }
    this.refused.delete(key);
    await this.o.recorder.record(target, {
      type: 'Normal',
      reason: 'ProvisioningSucceeded',
      message: `Successfully provisioned volume ${name} on node ${this.o.nodeName} (${LOCAL_PROVISIONER})`,
    });
    this.o.log.info(keyFields('PersistentVolumeClaim', key), `provisioned ${name} in ${decision.directory}`);
    return undefined;
  }

  /** The snapshot a claim names and its content, read when needed (no informer: restores are rare). */
  private async restoreDecision(
    claim: ClaimObject,
    snapshotName: string,
    sc: StorageClassObject | undefined,
  ): Promise<RestoreDecision> {
    const ns = claim.metadata?.namespace ?? '';
    const snapshot = await this.o.client.getIfExists<VolumeSnapshot>(VOLUME_SNAPSHOTS, ns, snapshotName);
    const bound = snapshot?.status?.boundVolumeSnapshotContentName;
    const content = bound
      ? await this.o.client.getIfExists<VolumeSnapshotContent>(VOLUME_SNAPSHOT_CONTENTS, undefined, bound)
      : undefined;
    return decideRestore({
      claim,
      snapshotName,
      snapshot,
      content,
      waitsForConsumer: sc?.volumeBindingMode === 'WaitForFirstConsumer',
      nodeName: this.o.nodeName,
      root: this.o.root,
    });
  }

  /**
   * Copies a snapshot's files (checked against the SHA-256 sums its manifest recorded) into a
   * temporary directory and renames it to the volume's: the volume's directory exists only
   * complete, and the PersistentVolume is made after it.
   */
  private async restore(
    decision: Extract<ClaimDecision, { kind: 'provision' }>,
    r: Extract<RestoreDecision, { kind: 'restore' }>,
  ): Promise<void> {
    const name = decision.volume.metadata?.name ?? '';
    if (fs.existsSync(decision.directory)) return; // restored before a restart
    assertConfined(this.o.root, r.directory, `VolumeSnapshot data of PersistentVolume ${name}`);
    const manifest = await readManifest(r.directory);
    if (manifest.volumeMode !== r.volumeMode)
      throw new SnapshotDataError(
        `${r.directory} holds a ${manifest.volumeMode} snapshot, but its VolumeSnapshotContent says ${r.volumeMode}; the snapshot is damaged`,
      );
    const tmp = confinedPath(this.o.root, `.restoring-${name}`, `PersistentVolume ${name} metadata.name`);
    assertConfined(this.o.root, tmp, `PersistentVolume ${name} restore directory`);
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.mkdirSync(tmp, { mode: 0o700 });
    try {
      const sums = new Map(manifest.files.map((f) => [f.path, f.sha256]));
      await copyVerified(r.directory, tmp, [...sums.keys()], sums);
      if (decision.block) {
        // A larger claim than the snapshot: the device gets the claim's size, the data its start.
        const backing = `${tmp}/${BLOCK_BACKING_FILE}`;
        if (fs.statSync(backing).size < decision.block.sizeBytes)
          fs.truncateSync(backing, decision.block.sizeBytes);
      }
      await commitDirectory(tmp, decision.directory);
    } catch (e) {
      fs.rmSync(tmp, { recursive: true, force: true });
      throw e;
    }
    this.o.log.info(
      { kind: 'PersistentVolumeClaim', name: decision.volume.spec?.claimRef?.name },
      `restored ${r.handle} into ${decision.directory} (${manifest.files.length} file(s), SHA-256 checked)`,
    );
  }

  private async reconcileVolume(name: string): Promise<number | undefined> {
    const volume = this.volumes.cache.get(name);
    if (!volume) return undefined;
    const attach = blockToAttach(volume, this.o.root);
    if (attach) {
      assertConfined(this.o.root, attach.backingFile, `PersistentVolume ${name} backing file`);
      if (fs.existsSync(attach.backingFile))
        ensureDeviceNode(attach.deviceNode, attachLoop(attach.backingFile));
      return undefined;
    }
    const del = volumeToDelete(volume, this.o.root);
    if (!del) return undefined;
    // Only this node's volumes: the directory is under this handler's root, symlinks resolved.
    assertConfined(this.o.root, del.directory, `PersistentVolume ${name} spec.local.path`);
    if (del.block) {
      assertConfined(this.o.root, del.block.backingFile, `PersistentVolume ${name} backing file`);
      detachLoops(del.block.backingFile);
    }
    fs.rmSync(del.directory, { recursive: true, force: true });
    try {
      await this.o.client.delete(PVS, undefined, name);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    this.o.log.info({ kind: 'PersistentVolume', name }, `deleted ${name} and its data (${del.directory})`);
    return undefined;
  }
}
