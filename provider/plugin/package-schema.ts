/**
 * The Pulumi package schema of `pulumi-resource-virtkit`, the multi-language component
 * provider: one `virtkit:index:<Name>` component resource per component in provider/, with
 * its inputs, its outputs and the object types they use. Pulumi YAML type-checks programs
 * against it (the plugin serves it through GetSchema) and SDK generators for Python, Go and
 * .NET read it, so every property carries a description.
 *
 * What is exposed, and why: the inputs a program written in another language can give as
 * data. `spec` is the object's spec in the kind's own shape (KubeVirt's, CDI's, Kube-OVN's),
 * typed as `Any`: the components validate it against api/'s schema and report bad input with
 * the field's path. The VirtualMachine's typed props are exposed only where they are plain
 * JSON data that the component takes unchanged (runStrategy, cpu, memory, resources...); the
 * ones built from value classes in TypeScript (disks, interfaces, networks, firmware, probes,
 * instancetype and preference references) are not: from other languages, give `spec`.
 *
 * `schema.json` beside this file is this schema written out (`npm run pulumi:schema`);
 * schema.test.ts fails when the two differ. (This module is not called `schema.ts`: Node's
 * resolver, under ts-node, would resolve `./schema` to schema.json before a `.ts` file.)
 */
import { INSTANCETYPE_SERIES, INSTANCETYPE_SIZES, OS_PREFERENCES } from '../../api';
import { packageVersion } from '../../common/version';
import { componentToken } from '../core/component';

/** The package name: tokens are `virtkit:index:<Name>`, the plugin `pulumi-resource-virtkit`. */
export const PACKAGE_NAME = 'virtkit';

/** A property of a resource or an object type, in Pulumi's schema language. */
export interface PropertySpec {
  readonly description: string;
  readonly type?: 'string' | 'integer' | 'number' | 'boolean' | 'array' | 'object';
  readonly $ref?: string;
  readonly items?: Omit<PropertySpec, 'description'> & { readonly description?: string };
  readonly additionalProperties?: Omit<PropertySpec, 'description'> & { readonly description?: string };
}

/** An object or enum type under the schema's `types`. */
export interface TypeSpec {
  readonly description: string;
  readonly type: 'object' | 'string';
  readonly properties?: Readonly<Record<string, PropertySpec>>;
  readonly required?: readonly string[];
  readonly enum?: readonly { readonly value: string; readonly description: string }[];
}

/** A component resource under the schema's `resources`. */
export interface ResourceSpec {
  readonly description: string;
  readonly isComponent: true;
  readonly inputProperties: Readonly<Record<string, PropertySpec>>;
  readonly requiredInputs: readonly string[];
  readonly properties: Readonly<Record<string, PropertySpec>>;
  readonly required: readonly string[];
}

/** The package schema (the subset of Pulumi's schema language virtkit uses). */
export interface PackageSchema {
  readonly name: string;
  readonly displayName: string;
  readonly version: string;
  readonly description: string;
  readonly keywords: readonly string[];
  readonly license: string;
  readonly resources: Readonly<Record<string, ResourceSpec>>;
  readonly types: Readonly<Record<string, TypeSpec>>;
}

const ANY = 'pulumi.json#/Any';
const typeRef = (name: string): string => `#/types/${componentToken(name)}`;
const stringMap = (description: string): PropertySpec => ({
  type: 'object',
  additionalProperties: { type: 'string' },
  description,
});
const str = (description: string): PropertySpec => ({ type: 'string', description });
const int = (description: string): PropertySpec => ({ type: 'integer', description });
const bool = (description: string): PropertySpec => ({ type: 'boolean', description });
const any = (description: string): PropertySpec => ({ $ref: ANY, description });

/** The object types the components' inputs use, keyed by their last token part. */
const TYPES: Readonly<Record<string, TypeSpec>> = {
  AwaitOptions: {
    type: 'object',
    description:
      "How `pulumi up` waits for the object: by default until the kind's ready state (a VM's depends on its run strategy), within the kind's default timeout.",
    properties: {
      timeoutSeconds: int(
        "Give up waiting after this many seconds (a whole number above 0). Default: the kind's own (VirtualMachine 600, DataVolume 1800, KubeOvnSubnet 300, snapshot and restore 600).",
      ),
      skipAwait: bool(
        'Do not wait at all: the object counts as created once the API server accepts it. Default false.',
      ),
    },
  },
  ObjectOptions: {
    type: 'object',
    description:
      "Resource options for the Kubernetes object the component creates (its child), for what Pulumi decides per resource. The child's parent is always the component.",
    properties: {
      ignoreChanges: {
        type: 'array',
        items: { type: 'string' },
        description:
          "Paths in the object's own inputs whose changes Pulumi ignores, e.g. `spec.template.spec.domain.memory`.",
      },
      customTimeouts: {
        $ref: typeRef('CustomTimeouts'),
        description: 'How long creating, updating and deleting the object may take.',
      },
      deleteBeforeReplace: bool('Delete the object before creating its replacement. Default false.'),
      replaceOnChanges: {
        type: 'array',
        items: { type: 'string' },
        description: "Paths in the object's inputs whose changes replace the object instead of updating it.",
      },
      retainOnDelete: bool('Leave the object in the cluster when the component is deleted. Default false.'),
      protect: bool('Refuse to delete the object (until the option is removed). Default false.'),
    },
  },
  CustomTimeouts: {
    type: 'object',
    description: 'Durations such as `5m` or `1h`, per operation on the object.',
    properties: {
      create: str('How long creating the object may take.'),
      update: str('How long updating the object may take.'),
      delete: str('How long deleting the object may take.'),
    },
  },
  RunStrategy: {
    type: 'string',
    description: 'When a VirtualMachine has a running instance (spec.runStrategy).',
    enum: [
      {
        value: 'Always',
        description: 'Always running; restarted whenever it stops. `pulumi up` waits for Ready.',
      },
      {
        value: 'RerunOnFailure',
        description: 'Restarted only when the guest fails. `pulumi up` waits for Ready.',
      },
      { value: 'Once', description: 'Runs once; not restarted. `pulumi up` waits for Ready.' },
      {
        value: 'Manual',
        description: 'Started and stopped only by explicit requests (virtctl start/stop). Not awaited.',
      },
      { value: 'Halted', description: 'Stopped. `pulumi up` waits for printableStatus Stopped.' },
      {
        value: 'WaitAsReceiver',
        description: 'Waits as the target of a cross-cluster migration. Not awaited.',
      },
    ],
  },
  EvictionStrategy: {
    type: 'string',
    description:
      "What happens to the VM's instance when its node is drained (spec.template.spec.evictionStrategy).",
    enum: [
      { value: 'None', description: 'The instance is stopped.' },
      { value: 'LiveMigrate', description: 'The instance is live-migrated; the drain waits for it.' },
      {
        value: 'LiveMigrateIfPossible',
        description: 'Live-migrated when it can be, otherwise stopped.',
      },
      { value: 'External', description: 'An external controller decides; the drain is blocked until then.' },
    ],
  },
  CpuTopology: {
    type: 'object',
    description: 'Guest CPU topology and model (spec.template.spec.domain.cpu).',
    properties: {
      cores: int('Cores per socket. Default 1 (not written).'),
      sockets: int('Sockets. Default 1 (not written).'),
      threads: int('Threads per core. Default 1 (not written).'),
      model: str(
        'CPU model: host-model, host-passthrough or a libvirt model name. Default host-model (not written).',
      ),
      dedicatedCpuPlacement: bool('Pin each vCPU to a dedicated host CPU. Default false.'),
    },
  },
  VirtualMachineResources: {
    type: 'object',
    description: "Requests and limits of the VM's pod (spec.template.spec.domain.resources).",
    properties: {
      cpuRequest: str('CPU request, e.g. `500m`.'),
      cpuLimit: str('CPU limit.'),
      memoryRequest: str(
        'Memory request, e.g. `2Gi` (an alternative to `memory`, which sets the guest memory).',
      ),
      memoryLimit: str('Memory limit.'),
    },
  },
  Toleration: {
    type: 'object',
    description: "A taint the VM's pod tolerates, as Kubernetes defines it.",
    properties: {
      key: str('The taint key; empty with operator Exists matches every taint.'),
      operator: str('`Equal` (the default) or `Exists`.'),
      value: str('The taint value, for operator Equal.'),
      effect: str('`NoSchedule`, `PreferNoSchedule` or `NoExecute`; empty matches every effect.'),
      tolerationSeconds: int('For NoExecute: how long the pod stays bound after the taint appears.'),
    },
  },
};

/** Inputs every object component takes: the object's identity and the child's options. */
function objectInputs(opts: { namespaced: 'yes' | 'unless-cluster' | 'no' }): Record<string, PropertySpec> {
  return {
    name: str("metadata.name of the object. Default: the component's name, so object names are predictable."),
    ...(opts.namespaced === 'no'
      ? {}
      : {
          namespace: str(
            opts.namespaced === 'unless-cluster'
              ? "metadata.namespace of the object (not with `cluster: true`). Default: the Kubernetes provider's namespace (usually `default`)."
              : "metadata.namespace of the object. Default: the Kubernetes provider's namespace (usually `default`).",
          ),
        }),
    labels: stringMap('metadata.labels of the object.'),
    annotations: stringMap(
      'metadata.annotations of the object. The await annotations (`pulumi.com/*`) are written by the component.',
    ),
    objectOptions: {
      $ref: typeRef('ObjectOptions'),
      description:
        'Resource options for the Kubernetes object the component creates (ignoreChanges, customTimeouts...). Default: none.',
    },
  };
}

const awaitInput: Record<string, PropertySpec> = {
  await: {
    $ref: typeRef('AwaitOptions'),
    description: "How `pulumi up` waits for the object. Default: until the kind's ready state.",
  },
};

/** Outputs every object component registers. */
const objectOutputs: Record<string, PropertySpec> = {
  objectName: str('metadata.name of the object, for references from other resources.'),
  namespace: str('metadata.namespace of the object (empty for cluster-scoped kinds).'),
};

const statusOutput = (of: string): Record<string, PropertySpec> => ({
  status: any(`The ${of}'s status as its controller reports it (unknown until the object exists).`),
});

/**
 * The VirtualMachine's typed props that are plain JSON data, passed to the component unchanged
 * (the other typed props are built from value classes and are not exposed; give `spec`).
 */
const VM_TYPED_INPUTS: Record<string, PropertySpec> = {
  runStrategy: {
    $ref: typeRef('RunStrategy'),
    description:
      'Typed prop (not with `spec`): when the VM runs. Default Always. `pulumi up` waits as it promises: Ready for Always, RerunOnFailure and Once, printableStatus Stopped for Halted, nothing for Manual.',
  },
  cpu: { $ref: typeRef('CpuTopology'), description: 'Typed prop (not with `spec`): CPU topology and model.' },
  memory: str('Typed prop (not with `spec`): memory the guest sees (spec.domain.memory.guest), e.g. `2Gi`.'),
  resources: {
    $ref: typeRef('VirtualMachineResources'),
    description: "Typed prop (not with `spec`): requests and limits of the VM's pod.",
  },
  machineType: str(
    'Typed prop (not with `spec`): QEMU machine type, e.g. `q35`. Default: the cluster default.',
  ),
  features: any(
    "Typed prop (not with `spec`): machine features (acpi, apic, smm, hyperv...), in KubeVirt's shape of spec.domain.features.",
  ),
  nodeSelector: stringMap('Typed prop (not with `spec`): node labels a node must carry to run the VM.'),
  affinity: any("Typed prop (not with `spec`): affinity and anti-affinity, in Kubernetes' shape."),
  tolerations: {
    type: 'array',
    items: { $ref: typeRef('Toleration') },
    description: "Typed prop (not with `spec`): taints the VM's pod tolerates.",
  },
  evictionStrategy: {
    $ref: typeRef('EvictionStrategy'),
    description:
      'Typed prop (not with `spec`): what happens on node drain. Default: the cluster-wide setting.',
  },
  terminationGracePeriodSeconds: int(
    'Typed prop (not with `spec`): seconds the guest gets to shut down before it is killed. Default 30 (not written).',
  ),
  hostname: str('Typed prop (not with `spec`): the guest hostname. Default: the instance name.'),
  subdomain: str('Typed prop (not with `spec`): DNS subdomain (with a headless Service of that name).'),
  templateLabels: stringMap(
    "Typed prop (not with `spec`): labels of the VM's instance (its template's metadata).",
  ),
  templateAnnotations: stringMap(
    "Typed prop (not with `spec`): annotations of the VM's instance (its template's metadata).",
  ),
};

/** The names of the VirtualMachine inputs that are typed props (for the dispatcher). */
export const VM_TYPED_INPUT_NAMES: readonly string[] = Object.keys(VM_TYPED_INPUTS);

/**
 * Instancetype or Preference: a namespaced VirtualMachine<Kind>, or with `cluster: true` the
 * cluster-wide VirtualMachineCluster<Kind>, whose `kind` output a VM's reference takes.
 */
function clusterOrNamespaced(kind: 'Instancetype' | 'Preference', what: string, spec: string): ResourceSpec {
  const [namespaced, cluster] = [`VirtualMachine${kind}`, `VirtualMachineCluster${kind}`];
  return {
    description: `A ${namespaced} (or, with \`cluster: true\`, a ${cluster}): ${what}.`,
    isComponent: true,
    inputProperties: {
      ...objectInputs({ namespaced: 'unless-cluster' }),
      cluster: bool(
        `Create the cluster-wide ${cluster} instead of a namespaced ${namespaced}. Default false.`,
      ),
      spec: any(spec),
    },
    requiredInputs: ['spec'],
    properties: {
      ...objectOutputs,
      kind: str(`\`${namespaced}\` or \`${cluster}\`, for a VM's spec.${kind.toLowerCase()}.kind.`),
    },
    required: ['objectName', 'kind'],
  };
}

/**
 * A component of a kind with a ready state and no outputs of its own beyond `status`: the
 * object's identity, `await`, and a required `spec`.
 */
function awaitedObject(kind: {
  readonly description: string;
  readonly namespaced: boolean;
  readonly spec: string;
  readonly statusOf: string;
}): ResourceSpec {
  return {
    description: kind.description,
    isComponent: true,
    inputProperties: {
      ...objectInputs({ namespaced: kind.namespaced ? 'yes' : 'no' }),
      ...awaitInput,
      spec: any(kind.spec),
    },
    requiredInputs: ['spec'],
    properties: { ...objectOutputs, ...statusOutput(kind.statusOf) },
    required: ['objectName'],
  };
}

/** The inputs of a VirtualMachine, as the component and each member of a fleet take them. */
const VM_INPUTS: Record<string, PropertySpec> = {
  ...objectInputs({ namespaced: 'yes' }),
  ...awaitInput,
  spec: any(
    "The VirtualMachine's spec in KubeVirt's own shape (runStrategy, instancetype, preference, template, dataVolumeTemplates). Refused together with any typed prop. Default: rendered from the typed props.",
  ),
  ...VM_TYPED_INPUTS,
};

/** What `pulumi up` read of a VM: the VirtualMachine's outputs, each member's in a fleet. */
const VM_STATE: Record<string, PropertySpec> = {
  printableStatus: str('One-word state (Running, Stopped, Provisioning...), as `kubectl get vm` shows it.'),
  ready: bool("True when the VM's Ready condition is True."),
  restartRequired: bool(
    'True when a spec change applied by `pulumi up` reaches the running guest only after a restart (the RestartRequired condition).',
  ),
  ipAddresses: {
    type: 'array',
    items: { type: 'string' },
    description:
      'Every IP address of the running guest, as its VirtualMachineInstance reports them, in interface order. Read once `pulumi up` has awaited the VM under Always, RerunOnFailure and Once; unknown during a preview; empty under the other run strategies and with `await.skipAwait`.',
  },
  nodeName: str("The node the VM's instance runs on, read as `ipAddresses` is."),
};

/** The object types of the VirtualMachineFleet's inputs and outputs. */
const FLEET_TYPES: Readonly<Record<string, TypeSpec>> = {
  VirtualMachineFleetMember: {
    type: 'object',
    description:
      "One VM of a VirtualMachineFleet: what a VirtualMachine takes. Its key in `vms` is its `name` unless it sets one; the fleet's `namespace`, `labels` and `await` apply where it sets none.",
    properties: VM_INPUTS,
  },
  VirtualMachineFleetMemberState: {
    type: 'object',
    description: 'What `pulumi up` read of one VM of a VirtualMachineFleet.',
    properties: { ...objectOutputs, ...VM_STATE },
    required: ['objectName', 'ready', 'restartRequired', 'ipAddresses'],
  },
};

/** Every component, keyed by its token's last part. */
const RESOURCES: Readonly<Record<string, ResourceSpec>> = {
  VirtualMachine: {
    description:
      "A kubevirt.io/v1 VirtualMachine, validated through virtkit's API model, whose `pulumi up` waits as its run strategy promises. Give the spec as `spec` in KubeVirt's own shape, or as the typed props (runStrategy, cpu, memory...), never both.",
    isComponent: true,
    inputProperties: VM_INPUTS,
    requiredInputs: [],
    properties: { ...objectOutputs, ...statusOutput('VirtualMachine'), ...VM_STATE },
    required: ['objectName', 'ready', 'restartRequired', 'ipAddresses'],
  },
  VirtualMachineFleet: {
    description:
      'Many VirtualMachines in one component, keyed by name: each is what a VirtualMachine component makes (same inputs, validation and wait), but Pulumi tracks one component for all of them instead of one per VM, which makes previews and updates of large fleets faster.',
    isComponent: true,
    inputProperties: {
      vms: {
        type: 'object',
        additionalProperties: { $ref: typeRef('VirtualMachineFleetMember') },
        description:
          "The VMs, keyed by name (a DNS-1123 label): each key is the VM's `name` unless it sets one, and names its resource `<fleet>-<key>`.",
      },
      namespace: str(
        "metadata.namespace of members that set none. Default: the Kubernetes provider's namespace (usually `default`).",
      ),
      labels: stringMap("Labels every member gets; a member's own label of the same key wins."),
      await: {
        $ref: typeRef('AwaitOptions'),
        description:
          'How `pulumi up` waits for members that set no `await` of their own. Default: as a VirtualMachine waits.',
      },
    },
    requiredInputs: ['vms'],
    properties: {
      vms: {
        type: 'object',
        additionalProperties: { $ref: typeRef('VirtualMachineFleetMemberState') },
        description: 'What `pulumi up` read of each member, by key.',
      },
      ready: bool("True when every member's Ready condition is True."),
    },
    required: ['vms', 'ready'],
  },
  Instancetype: clusterOrNamespaced(
    'Instancetype',
    'sizing that VMs reference',
    "The instancetype's spec (cpu.guest, memory.guest...), in KubeVirt's own shape.",
  ),
  Preference: clusterOrNamespaced(
    'Preference',
    'guest OS defaults that VMs reference',
    "The preference's spec (preferred buses, firmware, topology...), in KubeVirt's own shape.",
  ),
  InstancetypeLibrary: {
    description:
      "The template library's instancetypes under upstream's names (`u1.medium`...), each an Instancetype component: cluster-wide unless `namespace` is given.",
    isComponent: true,
    inputProperties: {
      series: {
        type: 'array',
        items: { type: 'string' },
        description: `Series to create (${INSTANCETYPE_SERIES.map((x) => x.name).join(', ')}). Default: all of them.`,
      },
      sizes: {
        type: 'array',
        items: { type: 'string' },
        description: `Sizes to create (${INSTANCETYPE_SIZES.join(', ')}). Default: all of them.`,
      },
      upstreamSizesOnly: bool(
        "Only the sizes upstream's catalogue publishes for each series (cx1 from medium, m1 from large). Default false.",
      ),
      namespace: str(
        'Create namespaced VirtualMachineInstancetypes in this namespace instead of cluster-wide ones. Default: cluster-wide.',
      ),
    },
    requiredInputs: [],
    properties: {
      names: {
        type: 'array',
        items: { type: 'string' },
        description: 'The object names created, in catalogue order (`u1.small`, `u1.medium`...).',
      },
    },
    required: ['names'],
  },
  PreferenceLibrary: {
    description:
      "The template library's OS preferences (`fedora`, `ubuntu`, `windows.11`...), each a Preference component: cluster-wide unless `namespace` is given.",
    isComponent: true,
    inputProperties: {
      os: {
        type: 'array',
        items: { type: 'string' },
        description: `OS preferences to create (${OS_PREFERENCES.map((p) => p.name).join(', ')}). Default: all of them.`,
      },
      namespace: str(
        'Create namespaced VirtualMachinePreferences in this namespace instead of cluster-wide ones. Default: cluster-wide.',
      ),
    },
    requiredInputs: [],
    properties: {
      names: {
        type: 'array',
        items: { type: 'string' },
        description: 'The object names created (`fedora`, `ubuntu`...).',
      },
    },
    required: ['names'],
  },
  MultusNetwork: {
    description: 'A Multus NetworkAttachmentDefinition that VMs attach to by name.',
    isComponent: true,
    inputProperties: {
      ...objectInputs({ namespaced: 'yes' }),
      config: any(
        'The CNI configuration: one plugin (`{cniVersion, type, ...}`) or a plugin list (`{cniVersion, name, plugins: [...]}`), as an object (serialised to JSON) or a JSON string.',
      ),
    },
    requiredInputs: ['config'],
    properties: {
      ...objectOutputs,
      networkName: str(
        "`<namespace>/<name>`, the form a VM's `networks[].multus.networkName` takes across namespaces.",
      ),
    },
    required: ['objectName', 'networkName'],
  },
  KubeOvnSubnet: awaitedObject({
    description: 'A Kube-OVN Subnet (cluster-scoped), awaited until its Ready condition holds.',
    namespaced: false,
    spec: "The subnet's spec (cidrBlock, gateway, protocol, provider, vpc...), as Kube-OVN defines it.",
    statusOf: 'Subnet',
  }),
  VirtualMachineSnapshot: awaitedObject({
    description: 'A point-in-time VirtualMachineSnapshot of a VM, awaited until status.readyToUse.',
    namespaced: true,
    spec: "The snapshot's spec: `source` (the VM: `{apiGroup: kubevirt.io, kind: VirtualMachine, name}`) and options, in KubeVirt's own shape.",
    statusOf: 'snapshot',
  }),
  VirtualMachineRestore: awaitedObject({
    description: 'A VirtualMachineRestore of a snapshot onto a VM, awaited until status.complete.',
    namespaced: true,
    spec: "The restore's spec: `target` (the VM to restore onto) and `virtualMachineSnapshotName`, in KubeVirt's own shape.",
    statusOf: 'restore',
  }),
  DataVolume: awaitedObject({
    description: 'A CDI DataVolume (a PVC filled from a source), awaited until status.phase is Succeeded.',
    namespaced: true,
    spec: "The DataVolume's spec: `source` or `sourceRef`, and `storage` or `pvc`, as CDI defines them.",
    statusOf: 'DataVolume',
  }),
  Install: {
    description:
      'virtkit installed into a Kubernetes cluster (cluster mode): the namespace, the CRDs, the KubeVirt configuration, ServiceAccounts and RBAC, the controller and api Deployments, the handler DaemonSet, their Services and PodDisruptionBudgets, certificates, the webhook configuration and the APIServices; the same objects `virtkit install -o yaml` prints. With `crdsOnly`, the CRDs alone.',
    isComponent: true,
    inputProperties: {
      namespace: str("The namespace of virtkit's components and configuration. Default virtkit."),
      registry: str(
        'Where the images come from: `<registry>/virtkit:<tag>` and `<registry>/virtkit-launcher:<tag>` (the names `npm run images` gives them). Default virtkit.local.',
      ),
      tag: str("The tag of both images. Default: the virtkit package's version."),
      virtkitImage: str('The image of the controller, the api and the handler (overrides registry and tag).'),
      launcherImage: str(
        'The image of launcher pods, passed to the controller (overrides registry and tag).',
      ),
      imagePullPolicy: str(
        "imagePullPolicy of virtkit's containers: IfNotPresent (the default), Always or Never.",
      ),
      controllerReplicas: int(
        'Replicas of the controller Deployment (one leads, the others stand by). Default 2.',
      ),
      apiReplicas: int('Replicas of the api Deployment. Default 2.'),
      certificates: str(
        "Where the api's serving certificate comes from: self-signed (the default: the api makes and rotates its own; the manifests carry no certificate and no CA bundle) or cert-manager (cert-manager must be installed).",
      ),
      featureGates: {
        type: 'array',
        items: { type: 'string' },
        description:
          'Feature gates turned on in the KubeVirt object (HostDisk, HostDevices, GPU, HotplugVolumes, LocalContainerDisk). Default none.',
      },
      useEmulation: bool(
        "Allow software emulation (KubeVirt's developerConfiguration.useEmulation in the KubeVirt object): launcher pods do not ask for devices.kubevirt.io/kvm, so guests also run on nodes without a usable /dev/kvm, under QEMU's TCG. Default false.",
      ),
      withNetworkCrds: bool(
        'Also install the NetworkAttachmentDefinition, Kube-OVN and whereabouts CRDs, for clusters that run none of Multus, Kube-OVN and whereabouts. Default false.',
      ),
      withVolumeSnapshotCrds: bool(
        'Also install the snapshot.storage.k8s.io CRDs, for clusters without the CSI snapshotter. Default false.',
      ),
      registryMirrors: {
        type: 'array',
        items: { type: 'string' },
        description:
          "Registry mirrors of the handlers, which pull containerDisk images: HOST=URL entries such as quay.io=http://10.0.0.5:5000 (references naming HOST are pulled from URL first, then from HOST), as containerd's hosts.toml gives the nodes' own pulls. Default none.",
      },
      crdsOnly: bool(
        "Only the CRDs, no runtime: for clusters whose virtkit runs elsewhere (local mode's `virtkit up`). Default false.",
      ),
    },
    requiredInputs: [],
    properties: {
      crdNames: {
        type: 'array',
        items: { type: 'string' },
        description: 'The names of the installed CRDs, in install order.',
      },
      namespace: str("The namespace virtkit's components run in."),
    },
    required: ['crdNames', 'namespace'],
  },
};

/** The last parts of the tokens of every component in the schema, in schema order. */
export const SCHEMA_COMPONENTS: readonly string[] = Object.keys(RESOURCES);

/** The package schema, with `version` as package.json's. */
export function packageSchema(version: string = packageVersion()): PackageSchema {
  const withTokens = <T>(record: Readonly<Record<string, T>>): Record<string, T> =>
    Object.fromEntries(Object.entries(record).map(([name, spec]) => [componentToken(name), spec]));
  return {
    name: PACKAGE_NAME,
    displayName: 'virtkit',
    version,
    description:
      "KubeVirt-compatible virtual machines, templates, networks, storage and snapshots as Pulumi components, validated through virtkit's API model.",
    keywords: ['pulumi', 'kubernetes', 'kubevirt', 'virtualization', 'category/cloud', 'kind/component'],
    license: 'Apache-2.0',
    resources: withTokens(RESOURCES),
    types: withTokens({ ...TYPES, ...FLEET_TYPES }),
  };
}

/** The schema as schema.json holds it and the plugin serves it: two-space JSON and a newline. */
export function schemaText(version?: string): string {
  return `${JSON.stringify(packageSchema(version), null, 2)}\n`;
}
