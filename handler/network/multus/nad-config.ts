/**
 * The CNI configuration of a NetworkAttachmentDefinition (pure): `spec.config` is JSON text, a
 * configuration list (`plugins`) or a single plugin's configuration, validated as the
 * configuration directory's files are. As Multus does, a configuration without `name` takes the
 * NetworkAttachmentDefinition's name. An empty `spec.config` is an error: Multus would then look
 * for a file named after the network in its configuration directory; virtkit does not.
 */
import { networkConfigListFrom, parseConfigJson } from '../cni/conflist';
import { CniConfigError } from '../cni/errors';
import { isJsonObject, type NetworkConfigList } from '../cni/types';
import type { NadReference } from './selection';

/** The parts of a NetworkAttachmentDefinition read here. */
export interface NadJson {
  readonly metadata?: { readonly name?: string; readonly namespace?: string };
  readonly spec?: { readonly config?: unknown };
}

/** How a NetworkAttachmentDefinition's configuration is named in messages and cache records. */
export function nadConfigSource(ref: NadReference): string {
  return `NetworkAttachmentDefinition ${ref.namespace}/${ref.name} spec.config`;
}

/** The validated configuration list of `nad`; throws CniConfigError naming the NAD and every problem. */
export function nadNetworkConfig(nad: NadJson, ref: NadReference): NetworkConfigList {
  const source = nadConfigSource(ref);
  const config = nad.spec?.config;
  if (typeof config !== 'string' || config.trim() === '')
    throw new CniConfigError(source, [
      {
        path: '$',
        ...(config !== undefined && typeof config !== 'string' ? { value: config } : {}),
        message: typeof config === 'string' || config === undefined ? 'is empty' : 'is not a string',
        fix:
          'put the CNI configuration JSON in spec.config (virtkit does not read configuration files for ' +
          'NetworkAttachmentDefinitions, as Multus does when spec.config is empty)',
      },
    ]);
  const doc = parseConfigJson(config, source);
  const named = isJsonObject(doc) && doc.name === undefined ? { ...doc, name: ref.name } : doc;
  return networkConfigListFrom(named, source);
}
