/**
 * `virtkit:index:Install`: virtkit installed into a Kubernetes cluster (cluster mode), one
 * child per object of the install that api/install renders, the same objects `virtkit install
 * -o yaml` prints and the cdk8s VirtkitInstall construct synthesizes: the namespace, the CRDs,
 * the KubeVirt configuration, ServiceAccounts and RBAC, certificates (cert-manager mode), the
 * controller and api Deployments, the handler DaemonSet, their Services and
 * PodDisruptionBudgets, the webhook configuration and the APIServices. Each object is its own
 * @pulumi/kubernetes resource, so a change shows as a diff of that object.
 *
 * `crdsOnly: true` keeps to the CRDs, as this component did before cluster mode (for a cluster
 * whose runtime comes from elsewhere, such as `virtkit up`). The CRD children keep their names
 * (`<name>-<crd name>`) either way.
 */
import * as pulumi from '@pulumi/pulumi';
import * as k8s from '@pulumi/kubernetes';
import {
  InstallOptionsError,
  installObjectKey,
  renderInstall,
  type InstallOptions,
  type KubeObject,
} from '../api/install';
import { VirtkitComponent } from './core/component';

export interface InstallArgs extends InstallOptions {
  /**
   * Only the CRDs (virtkit's, plus the network and volume snapshot CRDs when asked for), no
   * runtime: for clusters whose virtkit runs elsewhere (local mode's `virtkit up`). Default false.
   */
  readonly crdsOnly?: boolean;
}

/** A @pulumi/kubernetes resource class, whatever its args. */
type ResourceClass = new (
  name: string,
  args: never,
  opts?: pulumi.CustomResourceOptions,
) => pulumi.CustomResource;

/** The typed resource of each built-in kind the install has; any other kind is a CustomResource. */
const TYPED: Readonly<Record<string, ResourceClass>> = {
  'v1/Namespace': k8s.core.v1.Namespace,
  'v1/ServiceAccount': k8s.core.v1.ServiceAccount,
  'v1/Service': k8s.core.v1.Service,
  'apps/v1/Deployment': k8s.apps.v1.Deployment,
  'apps/v1/DaemonSet': k8s.apps.v1.DaemonSet,
  'policy/v1/PodDisruptionBudget': k8s.policy.v1.PodDisruptionBudget,
  'rbac.authorization.k8s.io/v1/ClusterRole': k8s.rbac.v1.ClusterRole,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': k8s.rbac.v1.ClusterRoleBinding,
  'rbac.authorization.k8s.io/v1/Role': k8s.rbac.v1.Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': k8s.rbac.v1.RoleBinding,
  'admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration':
    k8s.admissionregistration.v1.ValidatingWebhookConfiguration,
  'apiregistration.k8s.io/v1/APIService': k8s.apiregistration.v1.APIService,
};

const groupOf = (apiVersion: string): string => (apiVersion.includes('/') ? apiVersion.split('/')[0] : '');

export class Install extends VirtkitComponent {
  /** One child per CRD, keyed by the CRD's name (`virtualmachines.kubevirt.io`...). */
  readonly crds: Readonly<Record<string, k8s.apiextensions.v1.CustomResourceDefinition>>;
  /** The names of the installed CRDs, in install order. */
  readonly crdNames: string[];
  /** Every child, CRDs included, keyed by `Kind/namespace/name` (`Kind//name` when cluster-scoped). */
  readonly resources: Readonly<Record<string, pulumi.CustomResource>>;
  /** The namespace virtkit's components run in. */
  readonly namespace: string;

  constructor(name: string, args: InstallArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super('Install', name, opts);
    const { crdsOnly, ...options } = args;
    let objects: KubeObject[];
    try {
      if (crdsOnly !== undefined && typeof crdsOnly !== 'boolean')
        throw new InstallOptionsError([
          {
            path: 'crdsOnly',
            message: `${JSON.stringify(crdsOnly)} is not a boolean; give true or false`,
            severity: 'error',
            rule: 'install.crdsOnly',
          },
        ]);
      objects = renderInstall(options);
    } catch (err) {
      if (err instanceof InstallOptionsError) throw this.invalidInput(err.issues);
      throw err;
    }
    const namespace = objects.find((o) => o.kind === 'Namespace')!.metadata.name;
    const resources: Record<string, pulumi.CustomResource> = {};
    const crds: Record<string, k8s.apiextensions.v1.CustomResourceDefinition> = {};
    for (const crd of objects.filter((o) => o.kind === 'CustomResourceDefinition')) {
      crds[crd.metadata.name] = new k8s.apiextensions.v1.CustomResourceDefinition(
        this.childName(crd.metadata.name),
        {
          metadata: crd.metadata,
          spec: crd.spec as k8s.types.input.apiextensions.v1.CustomResourceDefinitionSpec,
        },
        this.childOptions(),
      );
      resources[installObjectKey(crd)] = crds[crd.metadata.name];
    }
    if (!crdsOnly) {
      const crdGroups = new Set(
        objects
          .filter((o) => o.kind === 'CustomResourceDefinition')
          .map((o) => (o.spec as { group: string }).group),
      );
      const created = (kind: string, objectName: string, ns = namespace): pulumi.CustomResource | undefined =>
        resources[installObjectKey({ kind, metadata: { name: objectName, namespace: ns } })];
      for (const o of objects.filter((x) => x.kind !== 'CustomResourceDefinition')) {
        const dependsOn: pulumi.Resource[] = [];
        const ns = o.metadata.namespace;
        // Objects in the install's namespace need it first; objects of virtkit's kinds need their CRDs.
        if (ns === namespace) dependsOn.push(created('Namespace', namespace, '')!);
        if (crdGroups.has(groupOf(o.apiVersion))) dependsOn.push(...Object.values(crds));
        // The webhooks and APIServices send requests to the api: once it serves (the KubeVirt
        // object, which the webhooks check, is made before them).
        if (o.kind === 'ValidatingWebhookConfiguration' || o.kind === 'APIService')
          dependsOn.push(
            ...[
              created('Deployment', 'virtkit-api'),
              created('Service', 'virtkit-api'),
              ...Object.entries(resources)
                .filter(([key]) => key.startsWith('KubeVirt/'))
                .map(([, r]) => r),
            ].filter((r): r is pulumi.CustomResource => r !== undefined),
          );
        resources[installObjectKey(o)] = this.child(o, ns && ns !== namespace ? `${ns}-` : '', dependsOn);
      }
    }
    this.crds = crds;
    this.crdNames = Object.keys(crds);
    // In apply order, as the install lists them.
    this.resources = Object.fromEntries(
      objects
        .map((o) => [installObjectKey(o), resources[installObjectKey(o)]])
        .filter(([, r]) => r !== undefined),
    );
    this.namespace = namespace;
    this.done({ crdNames: this.crdNames, namespace });
  }

  /** The child resource of one object: its typed resource, or a CustomResource for other kinds. */
  private child(o: KubeObject, prefix: string, dependsOn: pulumi.Resource[]): pulumi.CustomResource {
    const childName = this.childName(`${prefix}${o.metadata.name}`);
    const options: pulumi.CustomResourceOptions = {
      ...this.childOptions(),
      ...(dependsOn.length ? { dependsOn } : {}),
    };
    const typed = TYPED[`${o.apiVersion}/${o.kind}`];
    if (typed) {
      const { apiVersion: _apiVersion, kind: _kind, ...fields } = o;
      return new typed(childName, fields as never, options);
    }
    return new k8s.apiextensions.CustomResource(
      childName,
      { ...(o as unknown as k8s.apiextensions.CustomResourceArgs) },
      options,
    );
  }
}
