/**
 * One node's local storage for integration suites, as the handler runs it: the volume
 * provisioner and the snapshotter of virtkit's local driver (handler/storage/), under the
 * handler's identity and RBAC, over a temporary root; and the classes a suite needs: a
 * StorageClass of the local driver with Immediate binding (so kube-controller-manager's PV
 * controller binds claims without a consumer) and a VolumeSnapshotClass of the same driver.
 * The snapshot CRDs are installed as `virtkit up` installs them.
 */
import { createHash, randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { volumeSnapshotCrds } from '../../../api/crd/generate';
import { LOCAL_VOLUME_DRIVER } from '../../../api/storage/local';
import { installVolumeSnapshotCrds } from '../../../cli/local/crds';
import { componentKubeconfig, layout } from '../../../cli/local/layout';
import { silentLogger, type Logger } from '../../../common/log';
import { LocalSnapshotter } from '../../../handler/storage/local-snapshots';
import { LocalVolumeProvisioner } from '../../../handler/storage/local-volumes';
import {
  EventRecorder,
  KubeClient,
  PVCS,
  PVS,
  STORAGE_CLASSES,
  VOLUME_SNAPSHOT_CLASSES,
  VOLUME_SNAPSHOT_CONTENTS,
  type Json,
} from '../../../kube';
import { detachLoopsUnder } from '../../../handler/storage/loop-devices';
import { eventually } from './eventually';
import { readShared } from './shared-controlplane';

export interface LocalStorageNode {
  /** Where the node keeps volumes (`<root>/<pv name>/disk.img`) and snapshots. */
  readonly root: string;
  readonly storageClass: string;
  readonly snapshotClass: string;
  /** The directory of a bound claim's volume. */
  volumeDir(claim: { spec?: Json }): string;
  /** A claim of `size` in the node's class, labelled `disk: <name>`. */
  claim(namespace: string, name: string, annotations?: Record<string, string>, size?: string): Json;
  /** The claim once Bound. */
  boundClaim(namespace: string, name: string): Promise<Json>;
  /** The disk image (`disk.img`) of a claim, once it is Bound. */
  diskOf(namespace: string, claim: string): Promise<string>;
  /**
   * Stop the node once the suite's namespace is gone (its volumes released), then remove the
   * classes, any content the suite left, and the root.
   */
  stop(namespace: string): Promise<void>;
}

export interface LocalStorageNodeOptions {
  readonly admin: KubeClient;
  readonly node: string;
  /** Suffix that makes the class names the suite's own. */
  readonly id: string;
  readonly log?: (component: string) => Logger;
}

export async function startLocalStorageNode(o: LocalStorageNodeOptions): Promise<LocalStorageNode> {
  const { admin, node } = o;
  const storageClass = `it-local-${o.id}`;
  const snapshotClass = `it-local-snap-${o.id}`;
  await installVolumeSnapshotCrds(admin, volumeSnapshotCrds());
  await admin.create(STORAGE_CLASSES, undefined, {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: storageClass },
    provisioner: LOCAL_VOLUME_DRIVER,
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'Immediate',
  });
  await admin.create(VOLUME_SNAPSHOT_CLASSES, undefined, {
    apiVersion: 'snapshot.storage.k8s.io/v1',
    kind: 'VolumeSnapshotClass',
    metadata: { name: snapshotClass },
    driver: LOCAL_VOLUME_DRIVER,
    deletionPolicy: 'Delete',
  });
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-local-node-'));
  const client = KubeClient.connect({
    kubeconfig: componentKubeconfig(layout(readShared().stateDir), 'virtkit-handler'),
    fieldManager: 'virtkit-handler',
  });
  const log = o.log ?? (() => silentLogger());
  const recorder = new EventRecorder(client, silentLogger(), 'virtkit-handler', node);
  const provisioner = new LocalVolumeProvisioner({
    client,
    nodeName: node,
    root,
    recorder,
    log: log('provisioner'),
  });
  await provisioner.start();
  const snapshotter = new LocalSnapshotter({
    client,
    nodeName: node,
    root,
    recorder,
    log: log('snapshotter'),
  });
  await snapshotter.start();

  const volumeDir = (c: { spec?: Json }): string => path.join(root, String(c.spec?.volumeName ?? ''));
  const boundClaim = (namespace: string, name: string): Promise<Json> =>
    eventually(
      `claim ${namespace}/${name} to be Bound`,
      async () => {
        const c = await admin.getIfExists<Json>(PVCS, namespace, name);
        return (c?.status as Json | undefined)?.phase === 'Bound' ? c : undefined;
      },
      { timeoutMs: 90_000 },
    );
  return {
    root,
    storageClass,
    snapshotClass,
    volumeDir,
    claim: (namespace, name, annotations = {}, size = '64Mi') => ({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name, namespace, labels: { disk: name }, annotations },
      spec: {
        storageClassName: storageClass,
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: size } },
      },
    }),
    boundClaim,
    diskOf: async (namespace, claim) => path.join(volumeDir(await boundClaim(namespace, claim)), 'disk.img'),
    async stop(namespace: string): Promise<void> {
      await eventually(
        'the suite volumes to go',
        async () =>
          (await admin.list<Json>(PVS)).items.some((v) => (v.spec as Json)?.storageClassName === storageClass)
            ? undefined
            : true,
        { timeoutMs: 60_000 },
      ).catch(() => undefined);
      await snapshotter.stop();
      await provisioner.stop();
      // Contents a failed test left with the node's finalizer: nothing else will remove it.
      for (const c of (await admin.list<Json>(VOLUME_SNAPSHOT_CONTENTS)).items) {
        const meta = c.metadata as { name: string; finalizers?: string[] };
        if (((c.spec as Json)?.volumeSnapshotRef as Json | undefined)?.namespace !== namespace) continue;
        if (meta.finalizers?.length)
          await admin
            .mergePatch(VOLUME_SNAPSHOT_CONTENTS, undefined, meta.name, { metadata: { finalizers: null } })
            .catch(() => undefined);
        await admin.delete(VOLUME_SNAPSHOT_CONTENTS, undefined, meta.name).catch(() => undefined);
      }
      await admin.delete(STORAGE_CLASSES, undefined, storageClass).catch(() => undefined);
      await admin.delete(VOLUME_SNAPSHOT_CLASSES, undefined, snapshotClass).catch(() => undefined);
      client.close();
      detachLoopsUnder(root);
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

export const sha256File = (file: string): string =>
  createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/**
 * Writes known bytes at the start of a disk image and a marker 40 MiB in (the image stays
 * sparse), as a guest would; returns the image's sha256.
 */
export function fillDisk(file: string, marker: string): string {
  const fd = fs.openSync(file, 'w', 0o600);
  fs.writeSync(fd, randomBytes(1 << 20), 0, 1 << 20, 0);
  fs.writeSync(fd, Buffer.from(marker), 0, marker.length, 40 << 20);
  fs.closeSync(fd);
  return sha256File(file);
}
