/** Network interfaces: a tap the handler hands over, or QEMU user-mode networking standalone. */
import { createHash } from 'crypto';
import type { Interface, Network, VirtualMachineInstanceSpec } from '../../api/kubevirt/v1';
import type { ProblemList } from './errors';
import { safeNameProblem } from '../../api/host-path';
import { fromField, opts, qemuId } from './qemu-opts';
import { planPodBinding } from './pod-binding';
import { podInterfaceNames } from '../../api/multus/pod-interfaces';
import type { LaunchContext, PlannedBinding, PlannedInterface } from './types';

const IFACES = 'spec.domain.devices.interfaces';

/** The most queues a tap device takes (the kernel's limit, and KubeVirt's cap). */
export const MULTI_QUEUE_MAX_QUEUES = 256;

/**
 * KubeVirt's queue count of a NIC: with `networkInterfaceMultiqueue`, one queue pair per vCPU
 * (capped at 256) on a virtio NIC; otherwise 1.
 */
export function networkQueues(spec: VirtualMachineInstanceSpec, model: string, vcpus: number): number {
  if (spec.domain.devices.networkInterfaceMultiqueue !== true || model !== 'virtio') return 1;
  return Math.max(1, Math.min(vcpus, MULTI_QUEUE_MAX_QUEUES));
}

const MODELS: Record<string, string> = {
  virtio: 'virtio-net-pci',
  e1000: 'e1000',
  e1000e: 'e1000e',
  igb: 'igb',
  ne2k_pci: 'ne2k_pci',
  pcnet: 'pcnet',
  rtl8139: 'rtl8139',
};

/** A stable locally administered MAC from the VMI and interface names. */
export function derivedMac(namespace: string, vmiName: string, iface: string): string {
  const h = createHash('sha256').update(`${namespace}/${vmiName}/${iface}`).digest();
  return ['52', '54', '00', h[0], h[1], h[2]]
    .map((b) => (typeof b === 'string' ? b : b!.toString(16).padStart(2, '0')))
    .join(':');
}

/** The interfaces to create, including the implicit pod interface KubeVirt adds. */
export function effectiveInterfaces(spec: VirtualMachineInstanceSpec): {
  interfaces: Interface[];
  networks: Network[];
} {
  const interfaces = spec.domain.devices.interfaces ?? [];
  const networks = spec.networks ?? [];
  if (
    interfaces.length === 0 &&
    networks.length === 0 &&
    spec.domain.devices.autoattachPodInterface !== false
  ) {
    return { interfaces: [{ name: 'default', masquerade: {} }], networks: [{ name: 'default', pod: {} }] };
  }
  return { interfaces, networks };
}

export function planNetwork(
  vmiName: string,
  namespace: string,
  spec: VirtualMachineInstanceSpec,
  ctx: LaunchContext,
  problems: ProblemList,
  vcpus = 1,
): { args: string[]; interfaces: PlannedInterface[] } {
  const args: string[] = [];
  const planned: PlannedInterface[] = [];
  const { interfaces, networks } = effectiveInterfaces(spec);
  // KubeVirt's pod interface names: eth0 for the pod (or default Multus) network, pod<hash> else.
  const podIfNames = podInterfaceNames(networks);
  for (const [i, iface] of interfaces.entries()) {
    const ipath = `${IFACES}[${i}]`;
    // The interface name becomes QEMU ids (and, with a handler, tap and file names).
    const nameProblem = safeNameProblem(iface.name);
    if (nameProblem) {
      problems.add(`${ipath}.name`, nameProblem, iface.name);
      continue;
    }
    const net = networks.find((n) => n.name === iface.name);
    if (!net) {
      problems.add(
        `${ipath}.name`,
        'no network in spec.networks has this name; add one (e.g. {name: default, pod: {}}) or fix the name',
        iface.name,
      );
      continue;
    }
    const model = iface.model ?? 'virtio';
    const device = MODELS[model];
    if (!device)
      problems.add(
        `${ipath}.model`,
        `unknown NIC model; use one of ${Object.keys(MODELS).join(', ')}`,
        model,
      );
    for (const binding of ['sriov', 'macvtap', 'passt', 'passtBinding', 'binding', 'slirp'] as const) {
      if (iface[binding] !== undefined)
        problems.add(
          `${ipath}.${binding}`,
          'this binding is not supported by the virtkit launcher yet; use masquerade or bridge',
          iface[binding],
        );
    }
    if (iface.pciAddress)
      problems.add(
        `${ipath}.pciAddress`,
        'fixed PCI addresses are not supported by the virtkit launcher yet; remove it',
        iface.pciAddress,
      );
    if (iface.state !== undefined && iface.state !== 'up')
      problems.add(`${ipath}.state`, 'only state up is supported by the virtkit launcher yet', iface.state);
    let mac = derivedMac(namespace, vmiName, iface.name);
    if (iface.macAddress) {
      const m = iface.macAddress.replace(/-/g, ':').toLowerCase();
      if (!/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(m))
        problems.add(
          `${ipath}.macAddress`,
          'not a MAC address; write it like de:ad:00:00:be:af',
          iface.macAddress,
        );
      mac = m;
    }
    const netdevId = qemuId('net', iface.name);
    const tap = ctx.taps?.[iface.name];
    const npath = `spec.networks[${networks.indexOf(net)}]`;
    let backend: string;
    let binding: PlannedBinding | undefined;
    // Standalone (user-mode) and handler taps have one queue: slirp has no queues, and a tap made
    // elsewhere is not multi-queue.
    let queues = 1;
    const podIfName = podIfNames.get(net.name);
    if ((net.pod || net.multus) && ctx.podInterfaceName && podIfName && !tap) {
      // In the pod's namespace: bound to the pod interface over a tap, as KubeVirt does.
      binding = planPodBinding(
        {
          iface,
          ipath,
          net,
          npath,
          mac,
          macFromSpec: iface.macAddress !== undefined,
          hostname: spec.hostname ?? vmiName,
          podInterfaceName: net.pod ? ctx.podInterfaceName : podIfName,
          pod: ctx.podNetwork,
        },
        problems,
      );
      if (!binding) continue;
      // The launcher makes this tap, so it can make it multi-queue.
      queues = networkQueues(spec, model, vcpus);
      if (queues > 1) binding = { ...binding, queues };
      mac = binding.guestMac;
      const ifname = fromField(binding.tap, `${ipath} (its tap device)`, 'word');
      args.push(
        '-netdev',
        opts(
          'tap',
          {
            id: netdevId,
            ifname,
            script: 'no',
            downscript: 'no',
            queues:
              queues > 1 ? fromField(queues, 'spec.domain.devices.networkInterfaceMultiqueue') : undefined,
          },
          problems,
        ),
      );
      backend = `tap:${binding.tap}`;
    } else if (tap) {
      const ifname = fromField(tap, `taps.${iface.name} (from the handler)`, 'word');
      args.push('-netdev', opts('tap', { id: netdevId, ifname, script: 'no', downscript: 'no' }, problems));
      backend = `tap:${tap}`;
    } else if (net.pod) {
      // Standalone: QEMU's own NAT plays the part of masquerade, in the CIDR KubeVirt uses.
      args.push(
        '-netdev',
        opts(
          'user',
          {
            id: netdevId,
            net: fromField(net.pod.vmNetworkCIDR ?? '10.0.2.0/24', `${npath}.pod.vmNetworkCIDR`),
            hostname: fromField(spec.hostname ?? vmiName, spec.hostname ? 'spec.hostname' : 'metadata.name'),
          },
          problems,
        ),
      );
      backend = 'user';
    } else {
      problems.add(
        `${npath}.multus`,
        'a Multus network is attached by the node (virtkit up, or a cluster with Multus); virtkit launch has only the pod network: remove the network and its interface to launch it here',
        net.multus?.networkName,
      );
      continue;
    }
    if (device) {
      args.push(
        '-device',
        opts(
          device,
          {
            netdev: netdevId,
            mac: fromField(mac, `${ipath}.macAddress`),
            id: qemuId('ua', iface.name),
            bootindex:
              iface.bootOrder === undefined ? undefined : fromField(iface.bootOrder, `${ipath}.bootOrder`),
            // virtio-net's multi-queue: a vector per queue in each direction, one for config and one for control.
            mq: queues > 1 ? 'on' : undefined,
            vectors:
              queues > 1
                ? fromField(2 * queues + 2, 'spec.domain.devices.networkInterfaceMultiqueue')
                : undefined,
          },
          problems,
        ),
      );
    }
    planned.push({
      name: iface.name,
      mac,
      model,
      backend,
      netdevId,
      ...(net.pod ? { podInterfaceName: ctx.podInterfaceName ?? 'eth0' } : {}),
      ...(net.multus && podIfName && binding ? { podInterfaceName: podIfName } : {}),
      ...(binding ? { binding } : {}),
      queues,
    });
  }
  return { args, interfaces: planned };
}
