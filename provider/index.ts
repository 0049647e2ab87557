/**
 * virtkit/provider: Pulumi components over @pulumi/kubernetes for virtkit's (KubeVirt's) API.
 * Each has one `virtkit:index:<Name>` token, validates its input through api/ and waits for
 * its object's ready state the way the object's kind (and a VM's run strategy) defines it.
 */
export * from './core/component';
export * from './core/inputs';
export * from './core/readiness';
export * from './core/object-component';
export * from './core/awaited-component';
export * from './instancetype';
export * from './preference';
export * from './library';
export * from './multus-network';
export * from './kubeovn-subnet';
export * from './snapshot';
export * from './data-volume';
export * from './install';
export * from './virtual-machine';
export * from './virtual-machine-fleet';
