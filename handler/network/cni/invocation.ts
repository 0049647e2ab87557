/**
 * What a plugin is given (pure): its environment (CNI_COMMAND, CNI_CONTAINERID, CNI_NETNS,
 * CNI_IFNAME, CNI_ARGS, CNI_PATH) and its stdin (the plugin's configuration with the list's
 * `name` and `cniVersion` injected, `prevResult` chained, `runtimeConfig` for the capabilities it
 * declares), and in which order a list's plugins run for each command.
 */
import type { CniCommand, JsonObject, NetworkConfigList, PodIdentity } from './types';

/** Everything about one attachment of one pod to one network, for the plugins' environment. */
export interface Attachment {
  readonly containerId: string;
  /** Path of the pod's network namespace (/run/netns/<name>). */
  readonly netns: string;
  /** The interface name inside the pod, e.g. eth0. */
  readonly ifName: string;
  readonly pod: PodIdentity;
}

/**
 * CNI_ARGS as containerd's CRI plugin passes them: IgnoreUnknown=1 first (host-local and other
 * plugins refuse unknown keys without it), then the pod's namespace, name, sandbox id and uid.
 */
export function cniArgs(a: Attachment): string {
  return [
    ['IgnoreUnknown', '1'],
    ['K8S_POD_NAMESPACE', a.pod.namespace],
    ['K8S_POD_NAME', a.pod.name],
    ['K8S_POD_INFRA_CONTAINER_ID', a.containerId],
    ['K8S_POD_UID', a.pod.uid],
  ]
    .map(([k, v]) => `${k}=${v}`)
    .join(';');
}

/**
 * The plugin's environment: only CNI_* and PATH (plugins such as bridge and portmap run
 * iptables), nothing else of the handler's environment.
 */
export function pluginEnv(
  command: CniCommand,
  a: Attachment | undefined,
  pluginDirs: readonly string[],
  hostPath: string | undefined,
): Record<string, string> {
  const env: Record<string, string> = {
    CNI_COMMAND: command,
    CNI_PATH: pluginDirs.join(':'),
    PATH: withSbin(hostPath),
  };
  if (a && command !== 'VERSION') {
    env.CNI_CONTAINERID = a.containerId;
    env.CNI_NETNS = a.netns;
    env.CNI_IFNAME = a.ifName;
    env.CNI_ARGS = cniArgs(a);
  }
  return env;
}

const SBIN_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** PATH with the system directories iptables and ip live in, whatever the handler was started with. */
export function withSbin(hostPath: string | undefined): string {
  const dirs = (hostPath ?? '').split(':').filter((d) => d.startsWith('/'));
  for (const d of SBIN_DIRS) if (!dirs.includes(d)) dirs.push(d);
  return dirs.join(':');
}

/** -1, 0 or 1 as version a is older, the same or newer than b (dotted numbers). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** DEL gets the cached result as prevResult from spec 0.4.0 on (earlier plugins do not read it). */
export function delPassesPrevResult(list: NetworkConfigList): boolean {
  return compareVersions(list.cniVersion, '0.4.0') >= 0;
}

/** CHECK exists from spec 0.4.0 on and can be switched off per list (`disableCheck`). */
export function checkSupported(list: NetworkConfigList): boolean {
  return compareVersions(list.cniVersion, '0.4.0') >= 0 && !list.disableCheck;
}

/** Indices of the plugins in the order `command` runs them: DEL in reverse, ADD and CHECK in order. */
export function pluginOrder(list: NetworkConfigList, command: 'ADD' | 'DEL' | 'CHECK'): number[] {
  const order = list.plugins.map((_, i) => i);
  return command === 'DEL' ? order.reverse() : order;
}

/**
 * The stdin of plugin `index`: its own configuration with the list's name and cniVersion (the
 * runtime's, whatever the plugin entry says), `prevResult` when given, and `runtimeConfig`
 * holding the capability arguments the plugin declares in `capabilities` (and only those; with
 * none, a `runtimeConfig` the file itself gives is left as it is, as libcni leaves it).
 */
export function pluginStdin(
  list: NetworkConfigList,
  index: number,
  prevResult: JsonObject | undefined,
  capabilityArgs: Readonly<Record<string, unknown>> = {},
): JsonObject {
  const plugin = list.plugins[index];
  const stdin: JsonObject = JSON.parse(JSON.stringify(plugin)) as JsonObject;
  stdin.name = list.name;
  stdin.cniVersion = list.cniVersion;
  delete stdin.prevResult;
  if (prevResult) stdin.prevResult = prevResult;
  const runtimeConfig: JsonObject = {};
  for (const [cap, on] of Object.entries(plugin.capabilities ?? {}))
    if (on && capabilityArgs[cap] !== undefined) runtimeConfig[cap] = capabilityArgs[cap];
  if (Object.keys(runtimeConfig).length > 0) stdin.runtimeConfig = runtimeConfig;
  return stdin;
}
