/**
 * Reads that ride out a CRD that was just installed: its storage answers 429 ("storage is
 * (re)initializing") for a moment. `retrying429` asks again every 250 ms for up to `ms`;
 * `listOrNone` lists every object of a kind, or none when its CRD is not installed (404), for
 * optional APIs such as Kube-OVN's.
 */
import type { KubeClient } from './client';
import { isNotFound, isTooManyRequests } from './errors';
import type { ResourceType } from './resources';

/** `read()`, asked again while it answers 429, until `ms` have passed; any other failure at once. */
export async function retrying429<T>(read: () => Promise<T>, ms: number): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      return await read();
    } catch (e) {
      if (!isTooManyRequests(e) || Date.now() >= until) throw e;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

export async function listOrNone<T>(
  client: KubeClient,
  rt: ResourceType,
  opts: { readonly retry429Ms?: number; readonly namespace?: string } = {},
): Promise<T[]> {
  try {
    return await retrying429(
      async () => (await client.list<T>(rt, opts.namespace)).items,
      opts.retry429Ms ?? 0,
    );
  } catch (e) {
    if (isNotFound(e)) return [];
    throw e;
  }
}
