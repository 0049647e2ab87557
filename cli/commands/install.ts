/**
 * `virtkit install -o yaml|json`: every object that installs virtkit into a Kubernetes cluster
 * (cluster mode), printed for `kubectl apply --server-side -f -` or a GitOps repository. The
 * objects are rendered by api/install, as the cdk8s VirtkitInstall construct and the Pulumi
 * Install component render them. See docs/install.md.
 */
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { InstallOptionsError, renderInstall, type InstallOptions, type KubeObject } from '../../api/install';

interface InstallFlags {
  output: string;
  namespace?: string;
  registry?: string;
  tag?: string;
  virtkitImage?: string;
  launcherImage?: string;
  imagePullPolicy?: string;
  controllerReplicas?: string;
  apiReplicas?: string;
  certificates?: string;
  featureGates?: string;
  withNetworkCrds?: boolean;
  withVolumeSnapshotCrds?: boolean;
  useEmulation?: boolean;
  registryMirror?: string[];
}

/** How each option is spelled on this command line, for the renderer's messages. */
const FLAG_OF: Readonly<Record<keyof InstallOptions, string>> = {
  namespace: '--namespace',
  registry: '--registry',
  tag: '--tag',
  virtkitImage: '--virtkit-image',
  launcherImage: '--launcher-image',
  imagePullPolicy: '--image-pull-policy',
  controllerReplicas: '--controller-replicas',
  apiReplicas: '--api-replicas',
  certificates: '--certificates',
  featureGates: '--feature-gates',
  withNetworkCrds: '--with-network-crds',
  withVolumeSnapshotCrds: '--with-volume-snapshot-crds',
  useEmulation: '--use-emulation',
  registryMirrors: '--registry-mirror',
};

/** A whole number as a number; anything else as given, for the renderer to refuse by name. */
const count = (value: string | undefined): number | string | undefined =>
  value === undefined ? undefined : /^\d+$/.test(value.trim()) ? Number(value) : value;

/** The renderer's options from the flags (pure). */
export function installOptionsOf(flags: InstallFlags): InstallOptions {
  const given: Record<string, unknown> = {
    namespace: flags.namespace,
    registry: flags.registry,
    tag: flags.tag,
    virtkitImage: flags.virtkitImage,
    launcherImage: flags.launcherImage,
    imagePullPolicy: flags.imagePullPolicy,
    controllerReplicas: count(flags.controllerReplicas),
    apiReplicas: count(flags.apiReplicas),
    certificates: flags.certificates,
    featureGates:
      flags.featureGates === undefined
        ? undefined
        : flags.featureGates
            .split(',')
            .map((g) => g.trim())
            .filter(Boolean),
    withNetworkCrds: flags.withNetworkCrds || undefined,
    withVolumeSnapshotCrds: flags.withVolumeSnapshotCrds || undefined,
    useEmulation: flags.useEmulation || undefined,
    registryMirrors: flags.registryMirror,
  };
  return Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) as InstallOptions;
}

/** Multi-document YAML, one object a document, in apply order. */
export function installYaml(objects: readonly KubeObject[]): string {
  return objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n');
}

/** A `v1` List of the objects, which `kubectl apply -f` takes as it takes the YAML. */
export function installJson(objects: readonly KubeObject[]): string {
  return `${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }, null, 2)}\n`;
}

export function register(program: Command): void {
  program
    .command('install')
    .description(
      'print every object that installs virtkit into a Kubernetes cluster (namespace, CRDs, controller, api, handler, RBAC, configuration, certificates), for kubectl apply --server-side or GitOps',
    )
    .option('-o, --output <format>', 'yaml (multi-document) or json (a v1 List)', 'yaml')
    .option('-n, --namespace <ns>', "namespace of virtkit's components and configuration (default: virtkit)")
    .option(
      '--registry <prefix>',
      'where the images come from: <prefix>/virtkit:<tag> and <prefix>/virtkit-launcher:<tag> (default: virtkit.local, where `npm run images` names them)',
    )
    .option('--tag <tag>', "the images' tag (default: this virtkit's version)")
    .option(
      '--virtkit-image <ref>',
      'image of the controller, api and handler (overrides --registry and --tag)',
    )
    .option('--launcher-image <ref>', 'image of launcher pods (overrides --registry and --tag)')
    .option('--image-pull-policy <policy>', 'IfNotPresent, Always or Never (default: IfNotPresent)')
    .option('--controller-replicas <n>', 'controller replicas; one leads, the others stand by (default: 2)')
    .option('--api-replicas <n>', 'api replicas (default: 2)')
    .option(
      '--certificates <mode>',
      'self-signed (the api makes and rotates its own) or cert-manager (cert-manager issues them; it must be installed) (default: self-signed)',
    )
    .option(
      '--feature-gates <gates>',
      'comma-separated feature gates for the KubeVirt object (HostDisk, HostDevices, GPU, HotplugVolumes, LocalContainerDisk)',
    )
    .option(
      '--with-network-crds',
      'also install the NetworkAttachmentDefinition, Kube-OVN and whereabouts CRDs (for clusters without Multus, Kube-OVN or whereabouts)',
    )
    .option(
      '--with-volume-snapshot-crds',
      'also install the snapshot.storage.k8s.io CRDs (for clusters without the CSI snapshotter)',
    )
    .option(
      '--use-emulation',
      "allow software emulation (KubeVirt's useEmulation): launcher pods do not ask for devices.kubevirt.io/kvm, so guests also run on nodes without a usable /dev/kvm",
    )
    .option(
      '--registry-mirror <host=url>',
      "a registry mirror of the handlers' containerDisk pulls, such as quay.io=http://10.0.0.5:5000 (repeatable; the URL must be reachable from the handler pods)",
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .action((flags: InstallFlags) => {
      const format = flags.output.toLowerCase();
      if (format !== 'yaml' && format !== 'json')
        throw new Error(`--output ${JSON.stringify(flags.output)}: not a format; give yaml or json`);
      let objects: KubeObject[];
      try {
        objects = renderInstall(installOptionsOf(flags));
      } catch (err) {
        if (err instanceof InstallOptionsError) throw err.renamed(FLAG_OF);
        throw err;
      }
      process.stdout.write(format === 'yaml' ? installYaml(objects) : installJson(objects));
    });
}
