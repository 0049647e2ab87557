/**
 * CDI's names the DataVolume controller writes: annotations and labels on the claim, condition
 * reasons, Event reasons and their message shapes (CDI's pkg/controller/common and
 * pkg/controller/datavolume). Pure constants.
 */

const CDI = 'cdi.kubevirt.io';

/** Annotations CDI keeps on a DataVolume's claim (and reads from the DataVolume). */
export const Ann = {
  endpoint: `${CDI}/storage.import.endpoint`,
  source: `${CDI}/storage.import.source`,
  contentType: `${CDI}/storage.contentType`,
  secret: `${CDI}/storage.import.secretName`,
  certConfigMap: `${CDI}/storage.import.certConfigMap`,
  registryImportMethod: `${CDI}/storage.import.registryImportMethod`,
  importPod: `${CDI}/storage.import.importPodName`,
  podPhase: `${CDI}/storage.pod.phase`,
  podRestarts: `${CDI}/storage.pod.restarts`,
  runningCondition: `${CDI}/storage.condition.running`,
  runningConditionMessage: `${CDI}/storage.condition.running.message`,
  runningConditionReason: `${CDI}/storage.condition.running.reason`,
  /** The claim already holds the data of the DataVolume of this name: adopt it, fill nothing. */
  populatedFor: `${CDI}/storage.populatedFor`,
  /**
   * On a DataVolume: someone else (a VM restore) makes and fills its claim; CDI creates no claim
   * and no worker pod for it, and adopts the claim once it carries populatedFor.
   */
  prePopulated: `${CDI}/storage.prePopulated`,
  /** Create the worker pod on a WaitForFirstConsumer claim: the pod is the first consumer. */
  immediateBinding: `${CDI}/storage.bind.immediate.requested`,
  /** Keep the worker pod after a successful import. */
  podRetainAfterCompletion: `${CDI}/storage.pod.retainAfterCompletion`,
  /** The DataVolume may be garbage-collected once it succeeded (set when GC is enabled). */
  deleteAfterCompletion: `${CDI}/storage.deleteAfterCompletion`,
  preallocationRequested: `${CDI}/storage.preallocation.requested`,
  /** Host-assisted clone request on the target claim: "<namespace>/<name>" of the source. */
  cloneRequest: 'k8s.io/CloneRequest',
  /** kubectl's copy of the applied manifest: never copied onto the claim. */
  lastApplied: 'kubectl.kubernetes.io/last-applied-configuration',
  /** Kubernetes' default StorageClass marker. */
  defaultStorageClass: 'storageclass.kubernetes.io/is-default-class',
} as const;

/** Labels CDI puts on the claims it creates. */
export const CLAIM_LABELS: Readonly<Record<string, string>> = {
  app: 'containerized-data-importer',
  'app.kubernetes.io/component': 'storage',
  'app.kubernetes.io/managed-by': 'cdi-controller',
};

/** Values of the import source annotation. */
export const SourceAnn = { http: 'http', registry: 'registry', none: 'none' } as const;

/** Condition reasons (CDI's, plus virtkit's NotSupported for what it does not implement yet). */
export const Reason = {
  bound: 'Bound',
  pending: 'Pending',
  claimLost: 'ClaimLost',
  notFound: 'NotFound',
  podRunning: 'Pod is running',
  transferRunning: 'TransferRunning',
  completed: 'Completed',
  error: 'Error',
  resourceExists: 'ErrResourceExists',
  resourceMarkedForDeletion: 'ErrResourceMarkedForDeletion',
  claimNotValid: 'ErrClaimNotValid',
  cloneWithoutSource: 'CloneWithoutSource',
  /** virtkit's: a source or option virtkit's runtime does not implement yet. */
  notSupported: 'NotSupported',
} as const;

/** Event reasons of phase changes (CDI's). */
export const EventReason = {
  importScheduled: 'ImportScheduled',
  importInProgress: 'ImportInProgress',
  importSucceeded: 'ImportSucceeded',
  importFailed: 'ImportFailed',
  cloneScheduled: 'CloneScheduled',
  cloneInProgress: 'CloneInProgress',
  cloneSucceeded: 'CloneSucceeded',
  uploadScheduled: 'UploadScheduled',
  uploadReady: 'UploadReady',
  uploadSucceeded: 'UploadSucceeded',
  claimLost: 'ErrClaimLost',
} as const;

export const Message = {
  importScheduled: (pvc: string) => `Import into ${pvc} scheduled`,
  importInProgress: (pvc: string) => `Import into ${pvc} in progress`,
  importSucceeded: (pvc: string) => `Successfully imported into PVC ${pvc}`,
  importFailed: (pvc: string) => `Failed to import into PVC ${pvc}`,
  cloneScheduled: (src: string, dst: string) => `Cloning from ${src} into ${dst} scheduled`,
  cloneInProgress: (src: string, dst: string) => `Cloning from ${src} into ${dst} in progress`,
  cloneSucceeded: (src: string, dst: string) => `Successfully cloned from ${src} into ${dst}`,
  claimLost: (pvc: string) => `PVC ${pvc} lost`,
  pvcBound: (pvc: string) => `PVC ${pvc} Bound`,
  pvcPending: (pvc: string) => `PVC ${pvc} Pending`,
  noPvc: 'No PVC found',
  claimLostCondition: 'Claim Lost',
  resourceExists: (name: string) => `Resource "${name}" already exists and is not managed by DataVolume`,
  resourceMarkedForDeletion: (name: string) => `Resource "${name}" marked for deletion`,
  cloneWithoutSource: (kind: string, name: string) => `The source ${kind} ${name} doesn't exist`,
  cloneComplete: 'Clone Complete',
  uploadComplete: 'Upload Complete',
  uploadScheduled: 'Upload Scheduled',
  uploadReady: 'Upload Ready',
  uploadSucceeded: 'Upload Successful',
} as const;

/** CDI's progress when nothing is known yet, and when the transfer is done. */
export const PROGRESS_UNKNOWN = 'N/A';
export const PROGRESS_DONE = '100.0%';
