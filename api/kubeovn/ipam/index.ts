/** Kube-OVN's IPAM in virtkit's words (pure): subnet selection, allocation, what gets written. */
export * from './keys';
export * from './errors';
export * from './select';
export * from './pools';
export * from './allocate';
export * from './ip-object';
