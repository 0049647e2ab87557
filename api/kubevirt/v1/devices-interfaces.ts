/** Network interfaces of the guest (spec.domain.devices.interfaces). */
import { Obj, Opt, Str, Int32, OpenEnum, List, StringList, Empty, type Static } from '../../schema/dsl';
import { Integer } from './domain-common';

export const INTERFACE_MODELS = ['virtio', 'e1000', 'e1000e', 'igb', 'ne2k_pci', 'pcnet', 'rtl8139'] as const;
export const INTERFACE_STATES = ['up', 'down', 'absent'] as const;
export const PORT_PROTOCOLS = ['TCP', 'UDP'] as const;

/** Binding method fields; exactly one (or a binding plugin) connects the interface. */
export const INTERFACE_BINDINGS = [
  'bridge',
  'slirp',
  'masquerade',
  'sriov',
  'macvtap',
  'passt',
  'passtBinding',
] as const;

export const InterfaceBridge = Empty('Connect through a Linux bridge in the pod.');
export type InterfaceBridge = Static<typeof InterfaceBridge>;
export const InterfaceSlirp = Empty('Deprecated (removed in KubeVirt 1.3): QEMU user-mode networking.');
export type InterfaceSlirp = Static<typeof InterfaceSlirp>;
export const InterfaceMasquerade = Empty(
  'Connect through NAT rules in the pod; the guest gets a private address.',
);
export type InterfaceMasquerade = Static<typeof InterfaceMasquerade>;
export const InterfaceSRIOV = Empty('Pass an SR-IOV virtual function through to the guest with VFIO.');
export type InterfaceSRIOV = Static<typeof InterfaceSRIOV>;
export const InterfaceMacvtap = Empty(
  'Deprecated (removed in KubeVirt 1.3): extend a node L2 network through macvtap.',
);
export type InterfaceMacvtap = Static<typeof InterfaceMacvtap>;
export const InterfacePasst = Empty(
  'Deprecated (removed in KubeVirt 1.3): passt networking; use passtBinding or a binding plugin.',
);
export type InterfacePasst = Static<typeof InterfacePasst>;
export const InterfacePasstBinding = Empty('Connect through passt user-mode networking.');
export type InterfacePasstBinding = Static<typeof InterfacePasstBinding>;

export const PluginBinding = Obj('A network binding implemented by a plugin registered in the KubeVirt CR.', {
  name: Str('Name of the binding plugin.'),
});
export type PluginBinding = Static<typeof PluginBinding>;

export const Port = Obj('A port forwarded from the pod to the guest.', {
  name: Opt(Str('Port name, an IANA service name unique in the pod.')),
  protocol: Opt(OpenEnum('Transport protocol; TCP when left out.', PORT_PROTOCOLS)),
  port: Int32('Port number, 1 to 65535.'),
});
export type Port = Static<typeof Port>;

export const PortRange = Obj('A contiguous range of ports forwarded from the pod to the guest.', {
  protocol: OpenEnum('Transport protocol of the range; required.', PORT_PROTOCOLS),
  start: Int32('First port of the range, 1 to 65535.'),
  end: Int32('Last port of the range, 1 to 65535 and not below start.'),
});
export type PortRange = Static<typeof PortRange>;

export const DHCPPrivateOptions = Obj('A DHCP option from the private-use range.', {
  option: Integer('Option code, 224 to 254.'),
  value: Str('Option value.'),
});
export type DHCPPrivateOptions = Static<typeof DHCPPrivateOptions>;

export const DHCPOptions = Obj('Extra options the interface DHCP server hands out.', {
  bootFileName: Opt(Str('Boot file name (DHCP option 67).')),
  tftpServerName: Opt(Str('TFTP server name (DHCP option 66).')),
  ntpServers: Opt(StringList('NTP servers (DHCP option 42).')),
  privateOptions: Opt(List('Private-use options, codes 224 to 254.', DHCPPrivateOptions)),
});
export type DHCPOptions = Static<typeof DHCPOptions>;

export const Interface = Obj('A network interface of the guest, connected to the network of the same name.', {
  name: Str('Interface name; must match the name of a network.'),
  model: Opt(OpenEnum('Emulated NIC model; virtio when left out.', INTERFACE_MODELS)),
  bridge: Opt(InterfaceBridge),
  slirp: Opt(InterfaceSlirp),
  masquerade: Opt(InterfaceMasquerade),
  sriov: Opt(InterfaceSRIOV),
  macvtap: Opt(InterfaceMacvtap),
  passt: Opt(InterfacePasst),
  passtBinding: Opt(InterfacePasstBinding),
  binding: Opt(PluginBinding),
  ports: Opt(
    List('Ports forwarded to the guest; all ports when left out. Not together with portRanges.', Port),
  ),
  portRanges: Opt(
    List(
      'Port ranges forwarded to the guest (alpha); masquerade interfaces only, not together with ports.',
      PortRange,
    ),
  ),
  macAddress: Opt(Str('MAC address, for example de:ad:00:00:be:af or DE-AD-00-00-BE-AF.')),
  bootOrder: Opt(
    Integer(
      'Boot priority, 1 or more; lower boots first. Unique across disks and interfaces; interfaces without one are not booted from.',
      { unsigned: true },
    ),
  ),
  pciAddress: Opt(Str('Guest PCI address to place the interface at, for example 0000:81:01.10.')),
  dhcpOptions: Opt(DHCPOptions),
  tag: Opt(Str('Tag passed to the guest with the interface address in config drive metadata.')),
  acpiIndex: Opt(Integer('ACPI index giving the guest a stable interface name; unique, 1 to 16383.')),
  state: Opt(
    OpenEnum(
      'Requested link state: up (the default), down, or absent to unplug the interface.',
      INTERFACE_STATES,
    ),
  ),
});
export type Interface = Static<typeof Interface>;
