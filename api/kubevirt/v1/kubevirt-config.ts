/**
 * The `KubeVirt` kind (kubevirt.io/v1 `kubevirts`): KubeVirt's install and configuration object.
 * virtkit reads from it the feature gates in
 * `spec.configuration.developerConfiguration.featureGates`, `developerConfiguration.useEmulation`
 * (whether launcher pods go without `devices.kubevirt.io/kvm`), and the migration settings
 * (api/migrations/v1alpha1/effective.ts); every other field KubeVirt defines is kept whole
 * (preserved, not checked), so a team's existing KubeVirt CR applies unchanged. The running
 * components read the gates through kube/feature-gates.ts (FeatureGateSource).
 */
import { Type } from '@sinclair/typebox';
import { Opt, Str, type Static } from '../../schema/dsl';
import { defineKind } from '../../kind';
import type { ObjectMeta } from '../../k8s/meta';
import { AGE_COLUMN, KUBEVIRT_GROUP, KUBEVIRT_VERSION } from './group';

const open = { additionalProperties: true, 'x-kubernetes-preserve-unknown-fields': true } as const;

export const DeveloperConfiguration = Type.Object(
  {
    featureGates: Opt(
      Type.Array(Str('A feature gate name, such as HostDisk.'), {
        description:
          'Feature gates to enable (KubeVirt names: HostDisk, HostDevices, GPU...; virtkit adds LocalContainerDisk).',
        'x-kubernetes-list-type': 'set',
      }),
    ),
    useEmulation: Opt(
      Type.Boolean({
        description:
          "Allow software emulation (QEMU's TCG): launcher pods do not ask for devices.kubevirt.io/kvm, so guests also run on nodes without a usable /dev/kvm. Default false: every launcher pod asks for one kvm device, as in KubeVirt.",
      }),
    ),
  },
  { ...open, description: 'Developer settings; featureGates turns features on.' },
);

/** The part of a KubeVirt object useEmulationOf reads. */
export interface KubeVirtEmulationSource {
  readonly spec?: {
    readonly configuration?: { readonly developerConfiguration?: { readonly useEmulation?: unknown } };
  };
}

/**
 * Whether software emulation is allowed (pure): any KubeVirt object with
 * `developerConfiguration.useEmulation: true` (KubeVirt allows one object; virtkit does not
 * guess which of several is meant, as with the feature gates).
 */
export function useEmulationOf(kubevirts: readonly KubeVirtEmulationSource[]): boolean {
  return kubevirts.some((kv) => kv.spec?.configuration?.developerConfiguration?.useEmulation === true);
}

export const KubeVirtConfiguration = Type.Object(
  { developerConfiguration: Opt(DeveloperConfiguration) },
  { ...open, description: 'Cluster-wide configuration of the virtualization runtime.' },
);

export const KubeVirtSpec = Type.Object(
  { configuration: Opt(KubeVirtConfiguration) },
  { ...open, description: 'How KubeVirt (here virtkit) is installed and configured.' },
);
export type KubeVirtSpec = Static<typeof KubeVirtSpec>;

export const KubeVirtKind = defineKind({
  group: KUBEVIRT_GROUP,
  version: KUBEVIRT_VERSION,
  kind: 'KubeVirt',
  plural: 'kubevirts',
  singular: 'kubevirt',
  shortNames: ['kv', 'kvs'],
  categories: ['all'],
  scope: 'Namespaced',
  description: "The virtualization runtime's configuration; virtkit reads its feature gates.",
  fields: {
    spec: KubeVirtSpec,
    status: Type.Object({}, { ...open, description: 'Reported by the runtime.' }),
  },
  subresources: { status: true },
  printerColumns: [AGE_COLUMN],
});

export type KubeVirt = {
  apiVersion: 'kubevirt.io/v1';
  kind: 'KubeVirt';
  metadata?: ObjectMeta;
  spec?: KubeVirtSpec;
};
