/**
 * KubeVirt's hotplug attachment pod (`hp-volume-<suffix>`, label `kubevirt.io: hotplug-disk`):
 * for a running VMI with hotpluggable volumes, one pod that mounts their claims, pinned to the
 * VMI's node and controlled by the VMI's launcher pod (so it goes with it). It is the claims'
 * consumer: the scheduler binds a WaitForFirstConsumer claim on the VMI's node when it places the
 * pod, and the node handler attaches the claim's disk to the guest. The node's runner reports
 * the pod Running and starts nothing (api/cdi/worker-pod.ts).
 *
 * Desired state is pure (attachmentPodPlan): the set of claims changes -> a pod for the new set
 * is created, and the pods for older sets are deleted once it runs (at once when no hotplug
 * volume is left), as KubeVirt replaces them. AttachmentPods does the I/O.
 */
import { HOTPLUG_POD_LABEL_VALUE } from '../../api/cdi/worker-pod';
import type { VirtualMachineInstance } from '../../api/kubevirt/v1';
import {
  errorMessage,
  isAlreadyExists,
  isNotFound,
  PODS,
  type EventRecorder,
  type KubeClient,
} from '../../kube';
import { DEFAULT_LAUNCHER_IMAGE, LAUNCHER_LABEL, podSuffix, type PodSketch } from './launcher-pod';

/** What the plan reads of a pod. */
export interface AttachmentPodLike {
  metadata?: {
    name?: string;
    uid?: string;
    deletionTimestamp?: string;
    labels?: Record<string, string>;
    ownerReferences?: { uid?: string; controller?: boolean }[];
  };
  spec?: {
    nodeName?: string;
    volumes?: { name?: string; persistentVolumeClaim?: { claimName?: string } }[];
  };
  status?: { phase?: string };
}

/** A hotpluggable volume of the VMI and its claim. */
export interface HotplugClaim {
  readonly volume: string;
  readonly claimName: string;
  readonly readOnly: boolean;
}

/** The VMI's hotpluggable PVC and DataVolume volumes (a DataVolume's claim has its name). */
export function hotplugClaims(vmi: Pick<VirtualMachineInstance, 'spec'>): HotplugClaim[] {
  const out: HotplugClaim[] = [];
  for (const v of vmi.spec?.volumes ?? []) {
    if (v.persistentVolumeClaim?.hotpluggable)
      out.push({
        volume: v.name,
        claimName: v.persistentVolumeClaim.claimName,
        readOnly: v.persistentVolumeClaim.readOnly === true,
      });
    else if (v.dataVolume?.hotpluggable)
      out.push({ volume: v.name, claimName: v.dataVolume.name, readOnly: false });
  }
  return out.sort((a, b) => (a.volume < b.volume ? -1 : a.volume > b.volume ? 1 : 0));
}

export function isAttachmentPod(pod: AttachmentPodLike): boolean {
  return pod.metadata?.labels?.[LAUNCHER_LABEL] === HOTPLUG_POD_LABEL_VALUE;
}

/** The claims a pod mounts, as one comparable key. */
function claimsKey(claims: readonly { volume: string; claimName: string }[]): string {
  return claims.map((c) => `${c.volume}=${c.claimName}`).join(',');
}

function podClaimsKey(pod: AttachmentPodLike): string {
  return claimsKey(
    (pod.spec?.volumes ?? [])
      .filter((v) => v.persistentVolumeClaim?.claimName)
      .map((v) => ({ volume: v.name ?? '', claimName: v.persistentVolumeClaim?.claimName ?? '' }))
      .sort((a, b) => (a.volume < b.volume ? -1 : a.volume > b.volume ? 1 : 0)),
  );
}

export interface LauncherPodRef {
  readonly name: string;
  readonly uid: string;
}

/** The attachment pod for this set of claims (deterministic name: a second create is AlreadyExists). */
export function renderAttachmentPod(
  vmi: Pick<VirtualMachineInstance, 'metadata' | 'status'>,
  launcher: LauncherPodRef,
  claims: readonly HotplugClaim[],
  image: string = DEFAULT_LAUNCHER_IMAGE,
): PodSketch {
  const nodeName = vmi.status?.nodeName ?? '';
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `hp-volume-${podSuffix(`${launcher.uid}/${claimsKey(claims)}`)}`,
      namespace: vmi.metadata?.namespace,
      labels: { [LAUNCHER_LABEL]: HOTPLUG_POD_LABEL_VALUE },
      annotations: {},
      ownerReferences: [
        {
          apiVersion: 'v1',
          kind: 'Pod',
          name: launcher.name,
          uid: launcher.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      restartPolicy: 'Never',
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      terminationGracePeriodSeconds: 0,
      // Through the scheduler (not spec.nodeName): it binds WaitForFirstConsumer claims on this node.
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [nodeName] }] },
            ],
          },
        },
      },
      tolerations: [{ operator: 'Exists' }],
      containers: [
        {
          name: 'hotplug-disk',
          image,
          imagePullPolicy: 'IfNotPresent',
          command: ['sleep', 'infinity'],
          resources: { requests: { cpu: '10m', memory: '10Mi' }, limits: { cpu: '100m', memory: '80Mi' } },
          volumeMounts: claims.map((c) => ({ name: c.volume, mountPath: `/path/${c.volume}` })),
        },
      ],
      volumes: claims.map((c) => ({
        name: c.volume,
        persistentVolumeClaim: { claimName: c.claimName, ...(c.readOnly ? { readOnly: true } : {}) },
      })),
    },
  };
}

export interface AttachmentPodPlan {
  readonly create?: PodSketch;
  readonly delete: readonly { name: string; uid?: string }[];
}

/**
 * What to create and delete (pure). Nothing while the VMI is not running on a node with a
 * launcher pod; every attachment pod of the launcher goes when no hotplug volume is left.
 */
export function attachmentPodPlan(
  vmi: Pick<VirtualMachineInstance, 'metadata' | 'spec' | 'status'>,
  launcher: LauncherPodRef | undefined,
  existing: readonly AttachmentPodLike[],
  image?: string,
): AttachmentPodPlan {
  const mine = existing.filter(
    (p) =>
      isAttachmentPod(p) &&
      !!launcher &&
      (p.metadata?.ownerReferences ?? []).some((o) => o.controller && o.uid === launcher.uid),
  );
  const claims = hotplugClaims(vmi);
  const live = mine.filter((p) => !p.metadata?.deletionTimestamp);
  const gone = (pods: AttachmentPodLike[]) =>
    pods.map((p) => ({ name: p.metadata?.name ?? '', uid: p.metadata?.uid }));
  if (!launcher || vmi.metadata?.deletionTimestamp || vmi.status?.phase !== 'Running' || !claims.length)
    return { delete: gone(live) };
  const want = claimsKey(claims);
  const current = live.find((p) => podClaimsKey(p) === want);
  const others = live.filter((p) => p !== current);
  if (!current) return { create: renderAttachmentPod(vmi, launcher, claims, image), delete: [] };
  return { delete: current.status?.phase === 'Running' ? gone(others) : [] };
}

/** The VMI's launcher pod on its node (the attachment pod's owner), when there is one. */
export function currentLauncherPod(
  vmi: Pick<VirtualMachineInstance, 'status'>,
  pods: readonly {
    metadata?: { name?: string; uid?: string; deletionTimestamp?: string };
    spec?: { nodeName?: string };
  }[],
): LauncherPodRef | undefined {
  const p = pods.find(
    (x) =>
      !x.metadata?.deletionTimestamp && !!vmi.status?.nodeName && x.spec?.nodeName === vmi.status.nodeName,
  );
  return p?.metadata?.name && p.metadata.uid ? { name: p.metadata.name, uid: p.metadata.uid } : undefined;
}

/** Whether to look for attachment pods at all: the VMI has hotplug volumes now or had them (KubeVirt's test). */
export function mayHaveAttachmentPods(vmi: Pick<VirtualMachineInstance, 'spec' | 'status'>): boolean {
  return (
    hotplugClaims(vmi).length > 0 ||
    (vmi.status?.volumeStatus ?? []).some((s) => s.hotplugVolume !== undefined)
  );
}

/** The I/O: lists the VMI's attachment pods (not in the launcher pod cache), creates and deletes. */
export class AttachmentPods {
  constructor(
    private readonly client: KubeClient,
    private readonly recorder: EventRecorder,
    private readonly image?: string,
  ) {}

  async sync(vmi: VirtualMachineInstance, launcher: LauncherPodRef | undefined): Promise<void> {
    if (!mayHaveAttachmentPods(vmi)) return;
    const namespace = vmi.metadata?.namespace ?? '';
    const pods = (
      await this.client.list<AttachmentPodLike>(PODS, namespace, {
        labelSelector: `${LAUNCHER_LABEL}=${HOTPLUG_POD_LABEL_VALUE}`,
      })
    ).items;
    const plan = attachmentPodPlan(vmi, launcher, pods, this.image);
    if (plan.create) {
      try {
        await this.client.create(PODS, namespace, plan.create);
        void this.recorder.record(vmi, {
          type: 'Normal',
          reason: 'SuccessfulCreate',
          message: `Created attachment pod ${plan.create.metadata.name}`,
        });
      } catch (err) {
        if (!isAlreadyExists(err)) {
          void this.recorder.record(vmi, {
            type: 'Warning',
            reason: 'FailedCreate',
            message: `Error creating attachment pod ${plan.create.metadata.name}: ${errorMessage(err)}`,
          });
          throw err;
        }
      }
    }
    for (const p of plan.delete) {
      try {
        await this.client.delete(PODS, namespace, p.name, p.uid ? { uid: p.uid } : {});
        void this.recorder.record(vmi, {
          type: 'Normal',
          reason: 'SuccessfulDelete',
          message: `Deleted attachment pod ${p.name}`,
        });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }
}
