/** The install construct: virtkit itself, in a cluster. */
export * from './install';
