/** `virtkit:index:KubeOvnSubnet`: a Kube-OVN Subnet (cluster-scoped), awaited until Ready. */
import type * as pulumi from '@pulumi/pulumi';
import { kubeovnV1 } from '../api';
import { AwaitedComponent, type AwaitedArgs, type AwaitedKind } from './core/awaited-component';
import { subnetReadiness } from './core/readiness';

/** How long `pulumi up` waits for a subnet's Ready condition unless told otherwise. */
export const SUBNET_TIMEOUT_SECONDS = 300;

const kind: AwaitedKind<kubeovnV1.SubnetSpec> = {
  typeName: 'KubeOvnSubnet',
  def: kubeovnV1.SubnetKind,
  readiness: () => subnetReadiness,
  defaultTimeoutSeconds: SUBNET_TIMEOUT_SECONDS,
};

/** spec: cidrBlock, gateway, protocol, provider, vpc... as Kube-OVN defines them. */
export type KubeOvnSubnetArgs = AwaitedArgs<kubeovnV1.SubnetSpec>;

export class KubeOvnSubnet extends AwaitedComponent<kubeovnV1.SubnetSpec, kubeovnV1.SubnetStatus> {
  constructor(name: string, args: KubeOvnSubnetArgs, opts?: pulumi.ComponentResourceOptions) {
    super(kind, name, args, opts);
    this.doneWith({ status: this.status });
  }
}
