/** Former home of Nullable; it is part of the schema DSL now and re-exported here. */
export { Nullable } from '../schema/dsl';
