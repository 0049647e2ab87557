/**
 * What counts as set, Go's way, for the expansion's steps: a pointer field is set when it is
 * not nil (here: neither undefined nor null); a string field when it is not empty. Values taken
 * from an instancetype or preference are copied, so the result never shares an object with them.
 */

/** Neither undefined nor null (a Go pointer that is not nil). */
export const isSet = (v: unknown): boolean => v !== undefined && v !== null;

/** Set, and not the empty string (a Go string that is not ""). */
export const isWritten = (v: unknown): boolean => isSet(v) && v !== '';

/** A deep copy of an object or list; other values as they are. */
export const copyOf = <T>(v: T): T => (typeof v === 'object' && v !== null ? structuredClone(v) : v);
