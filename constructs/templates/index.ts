/**
 * The template library: instancetype and preference constructs, the generated u1 / o1 /
 * cx1 / m1 series and OS preferences, and the parameterised VM template pattern. The series
 * and OS preference catalogues themselves are data of virtkit/api (api/templates).
 */
export * from '../../api/templates/instancetype-spec';
export * from './instancetype';
export * from './preference';
export * from './library';
export * from './vm-template';
