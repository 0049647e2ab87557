/**
 * The template library: instancetype and preference constructs, the generated u1 / o1 /
 * cx1 / m1 series and OS preferences, and the parameterised VM template pattern.
 */
export * from '../../api/templates/instancetype-spec';
export * from './instancetype';
export * from './preference';
export * from '../../api/templates/series';
export * from '../../api/templates/os-preferences';
export * from './library';
export * from './vm-template';
