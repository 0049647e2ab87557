/**
 * TCP ports and port-forward protocols as virtkit's layers read them from text (a CLI flag, a
 * path segment, a query parameter): one rule for all, each layer keeping its own words. Pure.
 */

/** What every layer answers for a udp port forward. */
export const UDP_FORWARD_UNSUPPORTED =
  'port-forward over udp is not supported by virtkit yet; forward a tcp port';

/** A TCP port written as plain decimal digits, from `min` (1; 0 where "any free port" is allowed) to 65535. */
export function tcpPortOf(text: string | null | undefined, min = 1): number | undefined {
  if (text === null || text === undefined || !/^\d{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port >= min && port <= 65535 ? port : undefined;
}

/** A port-forward protocol (KubeVirt's tcp or udp, any case), lowercased; undefined for anything else. */
export function forwardProtocolOf(text: string): 'tcp' | 'udp' | undefined {
  const p = text.toLowerCase();
  return p === 'tcp' || p === 'udp' ? p : undefined;
}
