/**
 * Typed errors of the handler's Kube-OVN data plane. Each is a CniError, so PodNetworkError
 * carries its `reason` to the pod's FailedCreatePodSandBox Event, and each names the pod, the
 * annotation (or subnet), the value and the fix.
 */
import { CniError } from '../cni/errors';

/** A pod as the messages name it. */
export interface PodRef {
  readonly namespace: string;
  readonly name: string;
}

function podName(pod: PodRef): string {
  return `pod ${pod.namespace}/${pod.name}`;
}

/** One problem of an allocation annotation: the key, the value it has (if any), what, and the fix. */
export interface AllocationProblem {
  readonly key: string;
  readonly value?: string;
  readonly message: string;
  readonly fix: string;
}

/**
 * The allocation annotations of one provider cannot be used: every problem gathered. The fix
 * is on the writer's side (virtkit's controller, or whoever wrote the annotations by hand).
 */
export class KubeOvnAllocationError extends CniError {
  readonly reason = 'InvalidAddressAllocation' as const;
  constructor(
    readonly pod: PodRef,
    readonly provider: string,
    readonly problems: readonly AllocationProblem[],
  ) {
    super(
      `${podName(pod)}: Kube-OVN allocation of provider ${JSON.stringify(provider)}: ` +
        problems
          .map(
            (p) =>
              `annotation ${p.key}${p.value !== undefined ? ` ${JSON.stringify(p.value)}` : ''} ${p.message}; ${p.fix}`,
          )
          .join('; '),
    );
    this.name = 'KubeOvnAllocationError';
  }
}

/**
 * The pod selects a Kube-OVN network whose provider has no allocation on the pod. Kube-OVN's
 * CNI would wait for its controller; virtkit's controller writes the allocation when it creates
 * the pod, so its absence is final.
 */
export class AddressNotAllocatedError extends CniError {
  readonly reason = 'AddressNotAllocated' as const;
  constructor(
    readonly pod: PodRef,
    readonly provider: string,
    readonly annotation: string,
    readonly network: string,
  ) {
    super(
      `${podName(pod)}: ${network} is a Kube-OVN network (provider ${JSON.stringify(provider)}) but the pod has no ` +
        `annotation ${annotation}: "true"; the controller allocates its address when it creates the pod: ` +
        `check that the Subnet exists and the controller runs (its Events on the VMI say why), then recreate the pod`,
    );
    this.name = 'AddressNotAllocatedError';
  }
}

/**
 * The subnet is an untagged underlay (VLAN 0): its pods would be on the provider NIC's own
 * untagged network, which needs the host NIC enslaved to a bridge; virtkit never takes a host
 * NIC over, so it wires tagged VLANs (1 to 4094) only.
 */
export class UnsupportedUnderlayError extends CniError {
  readonly reason = 'UnsupportedUnderlay' as const;
  constructor(
    readonly pod: PodRef,
    readonly subnet: string,
    readonly annotation: string,
    readonly vlanId: string,
  ) {
    super(
      `${podName(pod)}: subnet ${JSON.stringify(subnet)} is an untagged VLAN underlay (annotation ${annotation} ` +
        `${JSON.stringify(vlanId)}): its pods would share the provider NIC's untagged network, which means ` +
        `enslaving a host NIC to a bridge, and virtkit does not take host NICs over; give the Subnet a Vlan with ` +
        `spec.id from 1 to 4094, or run the real Kube-OVN and start the handler with --no-kube-ovn`,
    );
    this.name = 'UnsupportedUnderlayError';
  }
}

/**
 * A VLAN underlay's ProviderNetwork cannot give this node an interface: it does not exist,
 * excludes the node, names no interface for it, names one that is not an interface name, or
 * names one this host does not have.
 */
export class ProviderNetworkUnavailableError extends CniError {
  readonly reason = 'ProviderNetworkUnavailable' as const;
  constructor(
    readonly pod: PodRef,
    readonly providerNetwork: string,
    readonly subnet: string,
    /** The interface the ProviderNetwork names for this node, when it names one. */
    readonly iface: string | undefined,
    problem: string,
    fix: string,
  ) {
    super(
      `${podName(pod)}: subnet ${JSON.stringify(subnet)} is a VLAN underlay on ProviderNetwork ` +
        `${JSON.stringify(providerNetwork)}${iface !== undefined ? ` (interface ${JSON.stringify(iface)})` : ''}: ` +
        `${problem}; ${fix}`,
    );
    this.name = 'ProviderNetworkUnavailableError';
  }
}

/** Making a VLAN bridge or its uplink failed (`ip` said why). */
export class UnderlaySetupError extends CniError {
  readonly reason = 'NetworkSetupFailed' as const;
  constructor(
    readonly pod: PodRef,
    readonly device: string,
    detail: string,
    fix: string,
  ) {
    super(`${podName(pod)}: VLAN underlay device ${device}: ${detail}; ${fix}`);
    this.name = 'UnderlaySetupError';
  }
}
