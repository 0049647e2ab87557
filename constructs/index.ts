/** virtkit/constructs: cdk8s L2 constructs over the api/ model. */
export * from './core';
export * from './vm';
export * from './templates';
export * from './network';
export * from './storage';
export * from './ops';
export * from './install';
