/**
 * The shapes of the CNI specification virtkit reads and writes (network configuration lists,
 * plugin results) and the pod identity a network is set up for; types, and the one guard every
 * reader of their JSON uses.
 */

/** CNI spec versions whose result format this library reads (those Debian's plugins speak). */
export const SUPPORTED_CNI_VERSIONS = ['0.3.0', '0.3.1', '0.4.0', '1.0.0'] as const;
export type CniVersion = (typeof SUPPORTED_CNI_VERSIONS)[number];

export type CniCommand = 'ADD' | 'DEL' | 'CHECK' | 'VERSION';

export type JsonObject = { [key: string]: unknown };

/** Whether a parsed JSON value is an object (not null, not an array). */
export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** One plugin's configuration: `type` names the binary, the rest is the plugin's own. */
export interface PluginConfig extends JsonObject {
  readonly type: string;
  /** Runtime features the plugin wants (portMappings, ips, mac...): passed in `runtimeConfig`. */
  readonly capabilities?: Readonly<Record<string, boolean>>;
}

/** A network configuration list (`.conflist`), or a single `.conf` converted into one. */
export interface NetworkConfigList {
  readonly cniVersion: CniVersion;
  readonly name: string;
  readonly disableCheck: boolean;
  readonly plugins: readonly PluginConfig[];
  /** Where it was read from (a file path, or a label such as "default network"), for messages. */
  readonly source: string;
}

/** An interface in a CNI result; `sandbox` is set for interfaces inside the pod's namespace. */
export interface CniInterface {
  readonly name: string;
  readonly mac?: string;
  readonly sandbox?: string;
}

export interface CniIpConfig {
  /** CIDR notation: the address and its prefix, e.g. 10.244.0.5/24. */
  readonly address: string;
  readonly gateway?: string;
  /** Index into `interfaces`. */
  readonly interface?: number;
}

export interface CniRoute {
  readonly dst: string;
  readonly gw?: string;
}

export interface CniDns {
  readonly nameservers?: readonly string[];
  readonly domain?: string;
  readonly search?: readonly string[];
  readonly options?: readonly string[];
}

/** A plugin's ADD result, as the spec's 0.3.0–1.0.0 format gives it (kept whole in `raw`). */
export interface CniResult {
  readonly cniVersion: string;
  readonly interfaces: readonly CniInterface[];
  readonly ips: readonly CniIpConfig[];
  readonly routes: readonly CniRoute[];
  readonly dns: CniDns;
  /** The result exactly as the last plugin printed it: chained as prevResult and cached. */
  readonly raw: JsonObject;
}

/** The pod a network is for; the uid keys everything (names are for messages and CNI_ARGS). */
export interface PodIdentity {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

/** One port mapping for the `portMappings` capability (portmap plugin), as kubelet passes it. */
export interface PortMapping {
  readonly hostPort: number;
  readonly containerPort: number;
  /** tcp, udp or sctp (lower case, as containerd passes it). */
  readonly protocol: string;
  readonly hostIP?: string;
}
