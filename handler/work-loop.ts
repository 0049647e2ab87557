/**
 * One worker of a keyed work queue: take a key, reconcile it, requeue it after the delay the
 * reconcile asks for, or with back-off when it throws. Ends when the queue shuts down.
 */
import type { WorkQueue } from '../kube';

export async function runWorker(
  queue: WorkQueue,
  reconcile: (key: string) => Promise<number | undefined>,
  onError: (key: string, err: unknown) => void,
): Promise<void> {
  for (;;) {
    const key = await queue.get();
    if (key === undefined) return;
    try {
      const again = await reconcile(key);
      queue.forget(key);
      if (again !== undefined) queue.addAfter(key, again);
    } catch (e) {
      onError(key, e);
      queue.addRateLimited(key);
    } finally {
      queue.done(key);
    }
  }
}
