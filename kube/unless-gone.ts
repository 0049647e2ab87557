/**
 * One write to an object that may have been deleted meanwhile: its result, undefined when the
 * object is gone (404), or the error `wrap` makes of any other failure (a reconciler's typed
 * error naming the object and the step).
 */
import { isNotFound } from './errors';

export async function unlessGone<T>(
  write: () => Promise<T>,
  wrap: (err: unknown) => Error,
): Promise<T | undefined> {
  try {
    return await write();
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw wrap(err);
  }
}
