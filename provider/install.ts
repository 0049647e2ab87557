/**
 * `virtkit:index:Install`: deploys virtkit's API into a cluster, the CRDs of every kind it
 * serves (and optionally the Multus and Kube-OVN CRDs). The controller Deployment and the
 * handler DaemonSet are to join it; until then the runtime comes from `virtkit up`.
 */
import type * as pulumi from '@pulumi/pulumi';
import * as k8s from '@pulumi/kubernetes';
import { crds } from '../api';
import { VirtkitComponent } from './core/component';

export interface InstallArgs {
  /**
   * Also install the NetworkAttachmentDefinition, Kube-OVN and whereabouts CRDs, for clusters
   * that run none of Multus, Kube-OVN and whereabouts. Default false.
   */
  readonly withNetworkCrds?: boolean;
}

export class Install extends VirtkitComponent {
  /** One child per CRD, keyed by the CRD's name (`virtualmachines.kubevirt.io`...). */
  readonly crds: Readonly<Record<string, k8s.apiextensions.v1.CustomResourceDefinition>>;
  /** The names of the installed CRDs, in install order. */
  readonly crdNames: string[];

  constructor(name: string, args: InstallArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super('Install', name, opts);
    const children: Record<string, k8s.apiextensions.v1.CustomResourceDefinition> = {};
    for (const crd of crds({ withNetworkCrds: args.withNetworkCrds ?? false })) {
      children[crd.metadata.name] = new k8s.apiextensions.v1.CustomResourceDefinition(
        this.childName(crd.metadata.name),
        {
          metadata: crd.metadata,
          spec: crd.spec as unknown as k8s.types.input.apiextensions.v1.CustomResourceDefinitionSpec,
        },
        this.childOptions(),
      );
    }
    this.crds = children;
    this.crdNames = Object.keys(children);
    this.done({ crdNames: this.crdNames });
  }
}
