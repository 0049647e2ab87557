/** Operation constructs: snapshots, restores, clones, exports and migrations. */
export * from './references';
export * from './operation';
export * from './snapshot';
export * from './restore';
export * from './clone';
export * from './export';
export * from './migration-policy';
export * from './migration';
export { operationChecks } from './checks';
