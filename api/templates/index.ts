/**
 * The template library as data: the instancetype series (u1, o1, cx1, m1 and their sizes) and
 * the OS preferences, in api/ terms. The cdk8s library constructs (constructs/templates) and the
 * Pulumi library components (provider/library.ts) both generate their objects from it.
 */
export * from './instancetype-spec';
export * from './series';
export * from './os-preferences';
