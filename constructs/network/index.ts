/** Network constructs: Multus NetworkAttachmentDefinitions with typed CNI plugins, and Kube-OVN. */
export * from './cni/ipam';
export * from './cni/plugin';
export * from './cni/config';
export * from './nad';
export * from './kubeovn/annotations';
export * from './kubeovn/provider-network';
export * from './kubeovn/vlan';
export * from './kubeovn/vpc';
export * from './kubeovn/subnet';
export * from './kubeovn/ip';
export * from './kubeovn/ippool';
export { kubeOvnChecks } from './kubeovn/checks';
