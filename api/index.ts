/**
 * virtkit/api: the KubeVirt-compatible API model. Types, schemas, CRDs, validation and
 * defaults for every kind virtkit speaks. Pure: no I/O.
 */
export * from './schema/dsl';
export * from './kind';
export * from './registry';
export * from './k8s/meta';
export * from './k8s/resources';
// Kubernetes core/v1 types KubeVirt embeds (Affinity, Toleration, PersistentVolumeClaimSpec, probes...).
export * from './k8s/core';
export * from './crd/generate';
export * from './validation/issue';
export * from './validation/error';
export * from './validation/rule';
export * from './validation/validate';
export { checkAgainst, pointerToPath } from './validation/schema-check';
export * as kubevirtV1 from './kubevirt/v1';
export * as instancetypeV1beta1 from './instancetype/v1beta1';
export * as snapshotV1beta1 from './snapshot/v1beta1';
export * as cloneV1beta1 from './clone/v1beta1';
export * as exportV1 from './export/v1';
export * as poolV1beta1 from './pool/v1beta1';
export * as migrationsV1alpha1 from './migrations/v1alpha1';
export * as cdiV1beta1 from './cdi/v1beta1';
export * as multusV1 from './multus/v1';
export * as kubeovnV1 from './kubeovn/v1';
export * as whereaboutsV1alpha1 from './whereabouts/v1alpha1';
export * as volumeSnapshotV1 from './volumesnapshot/v1';
// Typed VM props, their value classes (Disk, Probe...) and the renderers both front ends call.
export * from './render';
// The template library's instancetype series and OS preferences, as data both front ends generate from.
export * from './templates';
// Cluster mode's install, rendered once for `virtkit install`, the install construct and the Install component.
export {
  CertificateMode,
  InstallOptionsError,
  installObjectKey,
  renderInstall,
  type InstallOptions,
  type KubeObject,
  type RenderContext,
} from './install';
