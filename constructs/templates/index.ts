/**
 * The template library: instancetype and preference constructs, the generated u1 / o1 /
 * cx1 / m1 series and OS preferences, and the parameterised VM template pattern.
 */
export * from './instancetype-spec';
export * from './instancetype';
export * from './preference';
export * from './series';
export * from './os-preferences';
export * from './library';
export * from './vm-template';
