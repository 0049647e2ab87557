// The typed VM props, their value classes and the renderers live in api/render, shared with
// the Pulumi component; re-exported here so `virtkit/constructs` keeps its public API.
export * from '../../api/render/network';
export * from '../../api/render/disk';
export * from '../../api/render/data-volume-template';
export * from '../../api/render/firmware';
export * from '../../api/render/probe';
export * from '../../api/render/instancetype-ref';
export * from '../../api/render/template-props';
export * from '../../api/render/structs';
export * from '../../api/render/vm-props';
export * from './network';
export * from './template-props';
export * from './vmi-owner';
export * from './virtual-machine';
export * from './virtual-machine-instance';
export * from './replica-set';
export * from './virtual-machine-pool';
export * from './multus-namespace-check';
