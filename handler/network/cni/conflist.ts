/**
 * Network configuration parsing and validation (pure): a `.conflist` (cniVersion, name,
 * plugins[]) or a single-plugin `.conf`, which becomes a one-plugin list the way libcni's
 * ConfListFromConf does. Every problem of a document is gathered into one CniConfigError naming
 * the source, the JSON path, the value and the fix.
 */
import { CniConfigError, type ConfigProblem } from './errors';
import {
  isJsonObject,
  SUPPORTED_CNI_VERSIONS,
  type CniVersion,
  type JsonObject,
  type NetworkConfigList,
  type PluginConfig,
} from './types';

/** Network names as libcni accepts them; they also become file and directory names. */
export const NETWORK_NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
/** A plugin `type` is a binary's file name: no slash, no dot-dot, nothing a shell would read. */
export const PLUGIN_TYPE_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const MAX_NAME_LENGTH = 128;

/** The problem with a plugin `type` value, or undefined when it is a usable binary name. */
export function pluginTypeProblem(type: unknown): string | undefined {
  if (typeof type !== 'string' || type === '') return 'is required: the name of the plugin binary';
  if (type.includes('/')) return 'contains a slash; plugins are found by name in the plugin directories only';
  if (!PLUGIN_TYPE_PATTERN.test(type) || type.length > MAX_NAME_LENGTH)
    return 'is not a plugin binary name (letters, digits, "_", "." and "-", starting with a letter or digit)';
  return undefined;
}

function checkPlugin(plugin: unknown, at: string, problems: ConfigProblem[]): void {
  if (!isJsonObject(plugin)) {
    problems.push({
      path: at,
      value: plugin,
      message: 'is not an object',
      fix: 'give each plugin as a JSON object with a "type"',
    });
    return;
  }
  const typeProblem = pluginTypeProblem(plugin.type);
  if (typeProblem)
    problems.push({
      path: `${at}.type`,
      value: plugin.type,
      message: typeProblem,
      fix: 'name an installed plugin such as "bridge", "host-local", "macvlan" or "portmap"',
    });
  if (plugin.capabilities !== undefined) {
    if (!isJsonObject(plugin.capabilities))
      problems.push({
        path: `${at}.capabilities`,
        value: plugin.capabilities,
        message: 'is not an object',
        fix: 'give capabilities as {"portMappings": true}',
      });
    else
      for (const [cap, on] of Object.entries(plugin.capabilities))
        if (typeof on !== 'boolean')
          problems.push({
            path: `${at}.capabilities.${cap}`,
            value: on,
            message: 'is not a boolean',
            fix: 'use true or false',
          });
  }
  if (plugin.ipam !== undefined) {
    if (!isJsonObject(plugin.ipam))
      problems.push({
        path: `${at}.ipam`,
        value: plugin.ipam,
        message: 'is not an object',
        fix: 'give ipam as {"type": "host-local", ...}',
      });
    else {
      const ipamProblem = pluginTypeProblem(plugin.ipam.type);
      if (ipamProblem)
        problems.push({
          path: `${at}.ipam.type`,
          value: plugin.ipam.type,
          message: ipamProblem,
          fix: 'name an installed IPAM plugin such as "host-local" or "static"',
        });
    }
  }
}

function checkVersion(v: unknown, at: string, problems: ConfigProblem[]): void {
  if (typeof v !== 'string' || v === '')
    problems.push({
      path: at,
      value: v,
      message: 'is required',
      fix: `set it to one of ${SUPPORTED_CNI_VERSIONS.join(', ')}`,
    });
  else if (!(SUPPORTED_CNI_VERSIONS as readonly string[]).includes(v))
    problems.push({
      path: at,
      value: v,
      message: 'is not a CNI version virtkit runs',
      fix: `use one of ${SUPPORTED_CNI_VERSIONS.join(', ')}`,
    });
}

function checkName(v: unknown, at: string, problems: ConfigProblem[]): void {
  if (typeof v !== 'string' || v === '')
    problems.push({ path: at, value: v, message: 'is required', fix: 'name the network, e.g. "virtkit"' });
  else if (!NETWORK_NAME_PATTERN.test(v) || v.length > MAX_NAME_LENGTH)
    problems.push({
      path: at,
      value: v,
      message: 'is not a valid network name',
      fix: `use letters, digits, "_", "." and "-", starting with a letter or digit, at most ${MAX_NAME_LENGTH} characters`,
    });
}

/** Deep copy through JSON, so the returned list shares nothing with the caller's object. */
function copy<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

/**
 * Validates a parsed document as a network configuration list, or (without `plugins`) as a
 * single plugin configuration converted into a one-plugin list. Throws CniConfigError with
 * every problem found.
 */
export function networkConfigListFrom(doc: unknown, source: string): NetworkConfigList {
  const problems: ConfigProblem[] = [];
  if (!isJsonObject(doc)) {
    throw new CniConfigError(source, [
      {
        path: '$',
        value: doc,
        message: 'is not a JSON object',
        fix: 'write {"cniVersion": ..., "name": ..., "plugins": [...]}',
      },
    ]);
  }
  checkVersion(doc.cniVersion, '$.cniVersion', problems);
  checkName(doc.name, '$.name', problems);
  if (doc.disableCheck !== undefined && typeof doc.disableCheck !== 'boolean')
    problems.push({
      path: '$.disableCheck',
      value: doc.disableCheck,
      message: 'is not a boolean',
      fix: 'use true or false',
    });

  let plugins: PluginConfig[];
  if ('plugins' in doc) {
    if (!Array.isArray(doc.plugins) || doc.plugins.length === 0) {
      problems.push({
        path: '$.plugins',
        value: doc.plugins,
        message: 'is not a non-empty array',
        fix: 'list the plugins to run in order, e.g. [{"type": "bridge", ...}, {"type": "portmap", ...}]',
      });
      plugins = [];
    } else {
      doc.plugins.forEach((p, i) => checkPlugin(p, `$.plugins[${i}]`, problems));
      plugins = doc.plugins as PluginConfig[];
    }
  } else {
    // A single plugin's configuration (.conf): the document is the plugin.
    if (doc.type === undefined)
      problems.push({
        path: '$',
        message: 'has neither "plugins" (a configuration list) nor "type" (a single plugin configuration)',
        fix: 'add "plugins": [...] or the plugin\'s "type"',
      });
    else checkPlugin(doc, '$', problems);
    plugins = [doc as PluginConfig];
  }
  if (problems.length > 0) throw new CniConfigError(source, problems);
  return {
    cniVersion: doc.cniVersion as CniVersion,
    name: doc.name as string,
    disableCheck: doc.disableCheck === true,
    plugins: copy(plugins),
    source,
  };
}

/** Parses configuration JSON text; malformed text is a CniConfigError naming the source and the JSON error. */
export function parseConfigJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CniConfigError(source, [
      { path: '$', message: `is not valid JSON (${(e as Error).message})`, fix: 'correct the JSON syntax' },
    ]);
  }
}

/** Parses JSON text (a file's content) into a validated network configuration list. */
export function parseNetworkConfigList(text: string, source: string): NetworkConfigList {
  return networkConfigListFrom(parseConfigJson(text, source), source);
}

/** The document a list is written back as (cache records keep the exact configuration ADD used). */
export function networkConfigListDocument(list: NetworkConfigList): JsonObject {
  return {
    cniVersion: list.cniVersion,
    name: list.name,
    ...(list.disableCheck ? { disableCheck: true } : {}),
    plugins: copy(list.plugins),
  };
}
