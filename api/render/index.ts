/**
 * virtkit/api's renderers: the typed props of a VM (and of any VMI template), their value
 * classes (Disk, DataVolumeTemplate, Firmware, InstancetypeRef, PreferenceRef,
 * InterfaceBinding, NetworkSource, Probe) and the pure functions that render them into
 * KubeVirt specs. The cdk8s constructs and the Pulumi components both call these, so the
 * same props give the same spec through either. Pure: no I/O, no cdk8s, no Pulumi.
 */
export * from './compact';
export * from './plain-json';
export * from './network';
export * from './disk';
export * from './data-volume-template';
export * from './firmware';
export * from './probe';
export * from './instancetype-ref';
export * from './template-props';
export * from './structs';
export * from './template-render';
export * from './vm-props';
export * from './vm-render';
