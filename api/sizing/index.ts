/** Guest sizing and the launcher pod's memory overhead, from a VMI spec. Pure. */
export * from './guest';
export * from './overhead';
