/**
 * Every object of a kind, or none when its CRD is not installed (404): for optional APIs such
 * as Kube-OVN's. With `retry429Ms`, a 429 (a CRD just installed answers "storage is
 * (re)initializing" for a moment) is asked again every 250 ms until that much time has passed.
 */
import type { KubeClient } from './client';
import { isNotFound, isTooManyRequests } from './errors';
import type { ResourceType } from './resources';

export async function listOrNone<T>(
  client: KubeClient,
  rt: ResourceType,
  opts: { readonly retry429Ms?: number } = {},
): Promise<T[]> {
  const until = Date.now() + (opts.retry429Ms ?? 0);
  for (;;) {
    try {
      return (await client.list<T>(rt)).items;
    } catch (e) {
      if (isNotFound(e)) return [];
      if (!isTooManyRequests(e) || Date.now() >= until) throw e;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
