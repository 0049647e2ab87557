export * from './app-validation';
export * from './kubevirt-object';
export * from './resource';
export * from './compact';
