/**
 * The source side of a clone from another namespace (pure), as CDI's host-assisted clone: a pod
 * in the source claim's namespace, named `<target claim uid>-source-pod`, container
 * `cdi-clone-source`, mounting the source claim read-only at `/var/run/cdi/clone/source`, that
 * streams the claim's disk to the target claim's upload server (./upload-pod.ts) in the target's
 * namespace. A pod cannot mount a claim of another namespace, hence two pods.
 *
 * The target claim carries CDI's `k8s.io/CloneRequest: <source namespace>/<source claim>`; the
 * node's runner sends a source pod's data only to the target claim whose annotation names that
 * pod's claim and whose uid the pod's name carries, so a pod made by anyone else cannot push
 * data into a claim that did not ask for it. The target's upload server takes the stream as raw
 * bytes (a clone copies, it never interprets a guest's disk as an image format).
 *
 * virtkit's differences from CDI: the target is named by two environment variables instead of
 * an upload URL with client certificates (the stream goes through the node handler, which runs
 * both pods), and the source pod is labelled with the target's namespace and claim so the
 * controller finds it without listing every namespace.
 */
import { CDI_APP_LABEL, CDI_APP_LABEL_VALUE, CDI_COMPONENT_LABEL, DATA_VOLUME_NAME } from './worker-pod';

/** CDI's annotation on a clone's target claim: `<source namespace>/<source claim>`. */
export const CLONE_REQUEST_ANNOTATION = 'k8s.io/CloneRequest';
/** CDI's label value, container name and mount path of the source pod. */
export const CLONE_SOURCE_COMPONENT = 'cdi-clone-source';
export const CLONE_SOURCE_CONTAINER = 'cdi-clone-source';
export const CLONE_SOURCE_MOUNT_PATH = '/var/run/cdi/clone/source';
/** CDI's suffix of the source pod's name, after the target claim's uid. */
export const CLONE_SOURCE_POD_SUFFIX = '-source-pod';
/** CDI's label tying the source pod to its clone (value: the pod's name). The key is CDI's spelling. */
export const CLONE_UNIQUE_ID_LABEL = 'cdi.kubevirt.io/storage.clone.cloneUniqeId';
/** virtkit's: where the target is, on the pod's labels (found without listing every namespace). */
export const CLONE_TARGET_NAMESPACE_LABEL = 'virtkit.io/clone-target-namespace';
export const CLONE_TARGET_CLAIM_LABEL = 'virtkit.io/clone-target-claim';

/** The environment the runner reads from a source pod (virtkit's names). */
export const CloneSourceEnv = {
  targetNamespace: 'VIRTKIT_CLONE_TARGET_NAMESPACE',
  targetClaim: 'VIRTKIT_CLONE_TARGET_CLAIM',
  /** The DataVolume's UID (CDI's OWNER_UID). */
  ownerUid: 'OWNER_UID',
} as const;

export const cloneSourcePodName = (targetClaimUid: string): string =>
  `${targetClaimUid}${CLONE_SOURCE_POD_SUFFIX}`;

/** The value of CLONE_REQUEST_ANNOTATION for a source claim. */
export const cloneRequestValue = (namespace: string, claim: string): string => `${namespace}/${claim}`;

export interface CloneSourcePodOptions {
  readonly source: { readonly namespace: string; readonly claim: string };
  readonly target: { readonly namespace: string; readonly claim: string; readonly uid: string };
  /** The source claim's volumeMode: Block claims are attached as a device (CDI's `/dev/cdi-block-volume`). */
  readonly sourceVolumeMode?: 'Filesystem' | 'Block';
  /** The container image (cluster mode's virtkit image); the local runner never runs it. */
  readonly image: string;
  readonly ownerUid?: string;
  /** The node of the target's upload server: the runner there streams between the two pods. */
  readonly nodeName?: string;
  /** @default "IfNotPresent" */
  readonly imagePullPolicy?: string;
}

const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** Where CDI attaches a Block claim in its pods. */
export const CLONE_SOURCE_DEVICE_PATH = '/dev/cdi-block-volume';

/** The source pod; throws one Error naming every bad input. */
export function cloneSourcePod(o: CloneSourcePodOptions): Record<string, unknown> {
  const problems: string[] = [];
  for (const [what, ref] of [
    ['source', o.source],
    ['target', o.target],
  ] as const) {
    if (!NAME.test(ref.claim) || ref.claim.length > 253)
      problems.push(`${what}.claim ${JSON.stringify(ref.claim)} is not a valid PersistentVolumeClaim name`);
    if (!NAMESPACE.test(ref.namespace) || ref.namespace.length > 63)
      problems.push(`${what}.namespace ${JSON.stringify(ref.namespace)} is not a valid namespace`);
  }
  if (!/^[a-z0-9-]{1,64}$/.test(o.target.uid))
    problems.push(
      `target.uid ${JSON.stringify(o.target.uid)} is not a uid; build the pod from the stored claim`,
    );
  if (!o.image) problems.push('image is empty');
  if (problems.length) throw new Error(`cloneSourcePod: ${problems.join('; ')}`);
  const name = cloneSourcePodName(o.target.uid);
  const block = o.sourceVolumeMode === 'Block';
  // A claim name can be longer than a label value: a longer one is left off the label (the
  // environment still names it; the controller then finds the pod by name).
  const claimLabel = o.target.claim.length <= 63 ? { [CLONE_TARGET_CLAIM_LABEL]: o.target.claim } : {};
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: o.source.namespace,
      labels: {
        [CDI_APP_LABEL]: CDI_APP_LABEL_VALUE,
        [CDI_COMPONENT_LABEL]: CLONE_SOURCE_COMPONENT,
        [CLONE_UNIQUE_ID_LABEL]: name,
        [CLONE_TARGET_NAMESPACE_LABEL]: o.target.namespace,
        ...claimLabel,
      },
    },
    spec: {
      ...(o.nodeName ? { nodeName: o.nodeName } : {}),
      restartPolicy: 'OnFailure',
      containers: [
        {
          name: CLONE_SOURCE_CONTAINER,
          image: o.image,
          imagePullPolicy: o.imagePullPolicy ?? 'IfNotPresent',
          env: [
            { name: CloneSourceEnv.targetNamespace, value: o.target.namespace },
            { name: CloneSourceEnv.targetClaim, value: o.target.claim },
            ...(o.ownerUid ? [{ name: CloneSourceEnv.ownerUid, value: o.ownerUid }] : []),
          ],
          ...(block
            ? { volumeDevices: [{ name: DATA_VOLUME_NAME, devicePath: CLONE_SOURCE_DEVICE_PATH }] }
            : {
                volumeMounts: [
                  { name: DATA_VOLUME_NAME, mountPath: CLONE_SOURCE_MOUNT_PATH, readOnly: true },
                ],
              }),
        },
      ],
      volumes: [
        {
          name: DATA_VOLUME_NAME,
          persistentVolumeClaim: { claimName: o.source.claim, readOnly: true },
        },
      ],
    },
  };
}
