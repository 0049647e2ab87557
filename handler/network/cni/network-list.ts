/**
 * Running a whole network configuration list for one attachment, as libcni does: ADD runs the
 * plugins in order, each given the previous plugin's result as prevResult, and returns the
 * last result; DEL runs them in reverse with the cached result as prevResult (from spec
 * 0.4.0 on); CHECK runs them in order with the cached result. The plugin runner is a parameter,
 * so the chaining can be tested apart from the binaries.
 */
import { CniExecError } from './errors';
import { execPlugin, findPlugin, type PluginInvoker } from './exec';
import { checkSupported, delPassesPrevResult, pluginOrder, pluginStdin, type Attachment } from './invocation';
import type { JsonObject, NetworkConfigList } from './types';

export interface ListRun {
  readonly list: NetworkConfigList;
  readonly attachment: Attachment;
  /** Values for the capabilities plugins declare (portMappings, ips, mac...). */
  readonly capabilityArgs?: Readonly<Record<string, unknown>>;
  readonly pluginDirs: readonly string[];
  readonly timeoutMs?: number;
  /** @default execPlugin (the real binaries) */
  readonly invoke?: PluginInvoker;
}

/**
 * Throws CniPluginNotFoundError for the first plugin (or IPAM plugin) of `list` that is not
 * installed, before anything runs, so a missing binary never leaves a half-made network.
 */
export function checkPluginsInstalled(list: NetworkConfigList, pluginDirs: readonly string[]): void {
  for (const p of list.plugins) {
    findPlugin(p.type, pluginDirs, list.name);
    const ipam = p.ipam as { type?: unknown } | undefined;
    if (ipam && typeof ipam.type === 'string') findPlugin(ipam.type, pluginDirs, list.name);
  }
}

function call(
  run: ListRun,
  index: number,
  command: 'ADD' | 'DEL' | 'CHECK',
  prevResult: JsonObject | undefined,
) {
  const invoke = run.invoke ?? execPlugin;
  return invoke({
    network: run.list.name,
    type: run.list.plugins[index].type,
    command,
    attachment: run.attachment,
    stdin: pluginStdin(run.list, index, prevResult, run.capabilityArgs),
    pluginDirs: run.pluginDirs,
    ...(run.timeoutMs !== undefined ? { timeoutMs: run.timeoutMs } : {}),
  });
}

/** ADD of every plugin in order; resolves with the last plugin's result. */
export async function addNetworkList(run: ListRun): Promise<JsonObject> {
  let prev: JsonObject | undefined;
  for (const i of pluginOrder(run.list, 'ADD')) {
    const result = await call(run, i, 'ADD', prev);
    if (!result)
      throw new CniExecError(
        run.list.name,
        run.list.plugins[i].type,
        'ADD',
        'succeeded but printed no result',
      );
    prev = result;
  }
  return prev as JsonObject;
}

/**
 * DEL of every plugin in reverse order. Unlike libcni it goes on past a failing plugin (so one
 * broken plugin does not keep the others from releasing addresses and rules), then throws the
 * first failure. A missing plugin binary is such a failure too.
 */
export async function delNetworkList(run: ListRun, cachedResult: JsonObject | undefined): Promise<void> {
  const prev = delPassesPrevResult(run.list) ? cachedResult : undefined;
  const failures: Error[] = [];
  for (const i of pluginOrder(run.list, 'DEL')) {
    try {
      await call(run, i, 'DEL', prev);
    } catch (e) {
      failures.push(e as Error);
    }
  }
  if (failures.length > 0) throw failures[0];
}

/**
 * CHECK of every plugin in order with the cached result. Resolves false (nothing run) when the
 * list's version has no CHECK or the list disables it.
 */
export async function checkNetworkList(run: ListRun, cachedResult: JsonObject | undefined): Promise<boolean> {
  if (!checkSupported(run.list)) return false;
  if (!cachedResult)
    throw new CniExecError(
      run.list.name,
      run.list.plugins[0].type,
      'CHECK',
      'no cached ADD result to check against',
    );
  for (const i of pluginOrder(run.list, 'CHECK')) await call(run, i, 'CHECK', cachedResult);
  return true;
}
