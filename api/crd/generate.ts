/** KindDefinition -> CustomResourceDefinition, and the YAML stream `virtkit crds` prints. */
import { stringify } from 'yaml';
import type { KindDefinition } from '../kind';
import { ipamPluginKinds, networkKinds, virtkitKinds, volumeSnapshotKinds } from '../registry';
import { toStructural } from './structural';

export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels: Record<string, string>; annotations?: Record<string, string> };
  spec: Record<string, unknown>;
}

export const PART_OF_LABEL = 'app.kubernetes.io/part-of';

export function crdName(def: Pick<KindDefinition, 'plural' | 'group'>): string {
  return `${def.plural}.${def.group}`;
}

export function openApiSchema(def: KindDefinition): Record<string, unknown> {
  const properties: Record<string, unknown> = {
    apiVersion: {
      type: 'string',
      description: 'APIVersion defines the versioned schema of this representation of an object.',
    },
    kind: {
      type: 'string',
      description: 'Kind is a string value representing the REST resource this object represents.',
    },
    metadata: { type: 'object' },
  };
  for (const [name, schema] of Object.entries(def.fields))
    properties[name] = toStructural(schema as unknown as Record<string, unknown>, {
      constraints: name !== 'status',
    });
  return {
    type: 'object',
    description: def.description,
    properties,
    ...(def.requiredFields?.length ? { required: [...def.requiredFields] } : {}),
  };
}

export function crdFor(def: KindDefinition): CustomResourceDefinition {
  const subresources: Record<string, unknown> = {};
  if (def.subresources?.status) subresources.status = {};
  if (def.subresources?.scale) subresources.scale = { ...def.subresources.scale };
  const version: Record<string, unknown> = {
    name: def.version,
    served: true,
    storage: true,
    schema: { openAPIV3Schema: openApiSchema(def) },
  };
  if (Object.keys(subresources).length) version.subresources = subresources;
  if (def.printerColumns?.length)
    version.additionalPrinterColumns = def.printerColumns.map((c) => ({ ...c }));
  if (def.deprecated) {
    version.deprecated = true;
    version.deprecationWarning = def.deprecated;
  }
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: crdName(def), labels: { [PART_OF_LABEL]: 'virtkit' } },
    spec: {
      group: def.group,
      names: {
        kind: def.kind,
        listKind: `${def.kind}List`,
        plural: def.plural,
        singular: def.singular,
        ...(def.shortNames?.length ? { shortNames: [...def.shortNames] } : {}),
        ...(def.categories?.length ? { categories: [...def.categories] } : {}),
      },
      scope: def.scope,
      versions: [version],
    },
  };
}

export interface CrdOptions {
  /**
   * Add the NetworkAttachmentDefinition, Kube-OVN and whereabouts CRDs (for clusters without
   * Multus, Kube-OVN or whereabouts).
   */
  readonly withNetworkCrds?: boolean;
}

export function crds(options: CrdOptions = {}): CustomResourceDefinition[] {
  const kinds = options.withNetworkCrds
    ? [...virtkitKinds(), ...networkKinds(), ...ipamPluginKinds()]
    : virtkitKinds();
  return kinds.map(crdFor);
}

/**
 * Kubernetes requires an API review for CRDs in *.k8s.io groups, recorded in this annotation;
 * the snapshot CRDs carry the external-snapshotter's, as its own manifests do.
 */
export const API_APPROVED_ANNOTATION = 'api-approved.kubernetes.io';
const VOLUME_SNAPSHOT_API_REVIEW = 'https://github.com/kubernetes-csi/external-snapshotter/pull/814';

/** The snapshot.storage.k8s.io/v1 CRDs, for local mode to install where the cluster has none. */
export function volumeSnapshotCrds(): CustomResourceDefinition[] {
  return volumeSnapshotKinds().map((def) => {
    const crd = crdFor(def);
    return {
      ...crd,
      metadata: { ...crd.metadata, annotations: { [API_APPROVED_ANNOTATION]: VOLUME_SNAPSHOT_API_REVIEW } },
    };
  });
}

/** Multi-document YAML, one CRD a document. */
export function crdsYaml(options: CrdOptions = {}): string {
  return crds(options)
    .map((crd) => stringify(crd, { lineWidth: 0 }))
    .join('---\n');
}
