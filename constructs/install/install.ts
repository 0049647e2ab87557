/**
 * The cdk8s construct that installs virtkit into a Kubernetes cluster (cluster mode): one
 * ApiObject per object of the install, rendered by api/install exactly as `virtkit install -o
 * yaml` and the Pulumi Install component render it (the namespace, the CRDs, the controller,
 * the api, the handler, RBAC, the KubeVirt configuration, certificates). See docs/install.md.
 */
import { ApiObject, Chart, JsonPatch, type ApiObjectProps } from 'cdk8s';
import { Construct } from 'constructs';
import {
  CertificateMode,
  InstallOptionsError,
  renderInstall,
  type InstallOptions,
  type KubeObject,
} from '../../api/install';

export { CertificateMode } from '../../api/install';

/** Props of VirtkitInstall; every one is optional. */
export interface VirtkitInstallProps {
  /**
   * The namespace of virtkit's components and configuration (created by the install).
   * @default 'virtkit'
   */
  readonly namespace?: string;
  /**
   * Where the images come from: `<registry>/virtkit:<tag>` and `<registry>/virtkit-launcher:<tag>`
   * (the names `npm run images` gives them).
   * @default 'virtkit.local'
   */
  readonly registry?: string;
  /**
   * The tag of both images.
   * @default - the version of the virtkit package that synthesizes the app (VIRTKIT_VERSION)
   */
  readonly tag?: string;
  /**
   * The image of the controller, the api and the handler (overrides registry and tag).
   * @default - `<registry>/virtkit:<tag>`
   */
  readonly virtkitImage?: string;
  /**
   * The image of launcher pods, which the controller creates (overrides registry and tag).
   * @default - `<registry>/virtkit-launcher:<tag>`
   */
  readonly launcherImage?: string;
  /**
   * imagePullPolicy of virtkit's own containers: IfNotPresent, Always or Never.
   * @default 'IfNotPresent'
   */
  readonly imagePullPolicy?: string;
  /**
   * Replicas of the controller Deployment: one leads (a Lease in the namespace), the others
   * stand by. A PodDisruptionBudget keeps one through drains when there are two or more.
   * @default 2
   */
  readonly controllerReplicas?: number;
  /**
   * Replicas of the api Deployment (admission webhooks and aggregated APIs; all serve).
   * @default 2
   */
  readonly apiReplicas?: number;
  /**
   * Where the api's serving certificate comes from: the api itself (self-signed, the manifests
   * carry no certificate and no CA bundle), or cert-manager (which must be installed).
   * @default CertificateMode.SELF_SIGNED
   */
  readonly certificates?: CertificateMode;
  /**
   * Feature gates turned on in the cluster's KubeVirt object (HostDisk, HostDevices, GPU,
   * HotplugVolumes, LocalContainerDisk).
   * @default - none
   */
  readonly featureGates?: string[];
  /**
   * Also install the NetworkAttachmentDefinition, Kube-OVN and whereabouts CRDs (for clusters
   * without Multus, Kube-OVN or whereabouts).
   * @default false
   */
  readonly withNetworkCrds?: boolean;
  /**
   * Allow software emulation (KubeVirt's `developerConfiguration.useEmulation` in the KubeVirt
   * object): launcher pods do not ask for `devices.kubevirt.io/kvm`, so guests also run on
   * nodes without a usable /dev/kvm, under QEMU's TCG.
   * @default false
   */
  readonly useEmulation?: boolean;
  /**
   * Also install the snapshot.storage.k8s.io CRDs (clusters usually bring their own with
   * their CSI snapshotter).
   * @default false
   */
  readonly withVolumeSnapshotCrds?: boolean;
  /**
   * Registry mirrors of the handlers, which pull containerDisk images: `HOST=URL` entries such
   * as `quay.io=http://10.0.0.5:5000` (references naming HOST are pulled from URL first, then
   * from HOST), as containerd's hosts.toml gives the nodes' own pulls. The URL must be reachable
   * from the handler pods (not their loopback).
   * @default - none
   */
  readonly registryMirrors?: string[];
}

/** A construct id for an object, unique within the install: `Kind.namespace.name`. */
function objectId(o: KubeObject): string {
  return [o.kind, o.metadata.namespace, o.metadata.name].filter(Boolean).join('.');
}

/**
 * virtkit, installed: every object of cluster mode's install as one ApiObject child each.
 *
 * @example
 * new VirtkitInstall(chart, 'virtkit', { certificates: CertificateMode.CERT_MANAGER, featureGates: ['HostDisk'] });
 */
export class VirtkitInstall extends Construct {
  /** The objects of the install, in apply order. */
  public readonly apiObjects: ApiObject[];
  /** The namespace virtkit's components run in. */
  public readonly namespace: string;

  public constructor(scope: Construct, id: string, props: VirtkitInstallProps = {}) {
    super(scope, id);
    let objects: KubeObject[];
    try {
      objects = renderInstall(props as InstallOptions);
    } catch (err) {
      if (err instanceof InstallOptionsError) throw new InstallOptionsError(err.issues, this.node.path);
      throw err;
    }
    this.namespace = String(objects.find((o) => o.kind === 'Namespace')?.metadata.name);
    // A chart with a namespace gives it to every object without one: not to cluster-scoped ones.
    const chartNamespace = Chart.of(this).namespace;
    this.apiObjects = objects.map((o) => {
      const obj = new ApiObject(this, objectId(o), o as unknown as ApiObjectProps);
      if (chartNamespace && !o.metadata.namespace) obj.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
      return obj;
    });
  }
}
