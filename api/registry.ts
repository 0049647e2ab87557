/** Every kind virtkit knows, by group. Add a group's `kinds` here and nowhere else. */
import { apiVersionOf, type KindDefinition } from './kind';
import { kinds as kubevirtV1 } from './kubevirt/v1';
import { kinds as instancetypeV1beta1 } from './instancetype/v1beta1';
import { kinds as snapshotV1beta1 } from './snapshot/v1beta1';
import { kinds as cloneV1beta1 } from './clone/v1beta1';
import { kinds as exportV1 } from './export/v1';
import { kinds as poolV1beta1 } from './pool/v1beta1';
import { kinds as migrationsV1alpha1 } from './migrations/v1alpha1';
import { kinds as cdiV1beta1 } from './cdi/v1beta1';
import { kinds as multusV1 } from './multus/v1';
import { kinds as kubeovnV1 } from './kubeovn/v1';
import { kinds as whereaboutsV1alpha1 } from './whereabouts/v1alpha1';
import { kinds as volumeSnapshotV1 } from './volumesnapshot/v1';

/** Kinds whose CRDs virtkit installs as its own API. */
export function virtkitKinds(): readonly KindDefinition[] {
  return [
    ...kubevirtV1,
    ...instancetypeV1beta1,
    ...snapshotV1beta1,
    ...cloneV1beta1,
    ...exportV1,
    ...poolV1beta1,
    ...migrationsV1alpha1,
    ...cdiV1beta1,
  ];
}

/** Kinds of the network projects virtkit interoperates with (Multus, Kube-OVN). */
export function networkKinds(): readonly KindDefinition[] {
  return [...multusV1, ...kubeovnV1];
}

/**
 * Kinds an IPAM plugin the handler runs keeps its state in (whereabouts' IPPools and
 * reservations): installed with the network CRDs, but outside allKinds(), because the plugin
 * writes them and virtkit neither validates nor renders them (whereabouts' IPPool also shares
 * its kind name with Kube-OVN's).
 */
export function ipamPluginKinds(): readonly KindDefinition[] {
  return [...whereaboutsV1alpha1];
}

/**
 * Kubernetes' own volume snapshot kinds (snapshot.storage.k8s.io/v1, the external-snapshotter's
 * CRDs): installed by local mode only where the cluster has none, outside allKinds() because
 * they are not virtkit's API (admission does not judge them; a cluster's own CRDs win).
 */
export function volumeSnapshotKinds(): readonly KindDefinition[] {
  return [...volumeSnapshotV1];
}

export function allKinds(): readonly KindDefinition[] {
  return [...virtkitKinds(), ...networkKinds()];
}

let byApiVersionAndKind: Map<string, KindDefinition> | undefined;

/** The definition of `kind` in `apiVersion` (looked up in a map built once: the kinds never change). */
export function findKind(apiVersion: string, kind: string): KindDefinition | undefined {
  byApiVersionAndKind ??= new Map(allKinds().map((k) => [`${apiVersionOf(k)} ${k.kind}`, k]));
  return byApiVersionAndKind.get(`${apiVersion} ${kind}`);
}
