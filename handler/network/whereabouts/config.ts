/**
 * What the handler gives the whereabouts IPAM plugin (pure). whereabouts reads where its
 * Kubernetes credentials are from a flat file (`whereabouts.conf`): in a cluster, its DaemonSet
 * writes one at /etc/cni/net.d/whereabouts.d/ with a kubeconfig of its ServiceAccount beside it,
 * and Multus runs the plugin with the NAD's IPAM untouched. The local-mode handler plays that
 * DaemonSet's part per node, without touching system folders: it keeps the flat file and a
 * kubeconfig of whereabouts' own least-privilege identity under its state directory (0600, in a
 * 0700 directory), and points each whereabouts IPAM of a NetworkAttachmentDefinition at them
 * with `configuration_path`. The node-local paths a NAD may name (`configuration_path`,
 * `kubernetes.kubeconfig`, `log_file`) are the node's business, not the NAD author's: they are
 * replaced, so no NAD can make the plugin (run as root) read or write another file of the host.
 */
import * as path from 'path';
import { parse, stringify } from 'yaml';
import { WHEREABOUTS_NAMESPACE } from '../../../api/install/rbac';
import { cniPaths } from '../cni/paths';
import { CniConfigError, type ConfigProblem } from '../cni/errors';
import { isJsonObject, type JsonObject, type NetworkConfigList, type PluginConfig } from '../cni/types';

export const WHEREABOUTS_IPAM_TYPE = 'whereabouts';
/** The IPAM fields naming node-local files, which the handler sets itself. */
export const WHEREABOUTS_NODE_FIELDS: readonly string[] = ['configuration_path', 'kubernetes', 'log_file'];

export interface WhereaboutsFiles {
  /** `<stateDir>/cni/whereabouts.d`, mode 0700. */
  readonly dir: string;
  /** The flat file whereabouts reads (`configuration_path`), mode 0600. */
  readonly flatFile: string;
  /** whereabouts' kubeconfig, mode 0600. */
  readonly kubeconfig: string;
}

export function whereaboutsFiles(stateDir: string): WhereaboutsFiles {
  const dir = path.join(cniPaths(stateDir).root, 'whereabouts.d');
  return {
    dir,
    flatFile: path.join(dir, 'whereabouts.conf'),
    kubeconfig: path.join(dir, 'whereabouts.kubeconfig'),
  };
}

/** The flat file's text: the Kubernetes datastore and the kubeconfig beside it. */
export function whereaboutsFlatFile(files: WhereaboutsFiles): string {
  return (
    JSON.stringify({ datastore: 'kubernetes', kubernetes: { kubeconfig: files.kubeconfig } }, null, 2) + '\n'
  );
}

/** Kubeconfig keys that name files, resolved against the source kubeconfig's folder in the copy. */
const FILE_KEYS: Readonly<Record<string, readonly string[]>> = {
  clusters: ['certificate-authority'],
  users: ['client-certificate', 'client-key', 'tokenFile'],
};

/**
 * whereabouts' kubeconfig from the identity's kubeconfig (`text`, read from `source`): the same
 * cluster and credentials, its current context's namespace set to `namespace` (whereabouts keeps
 * its objects there), relative file references made absolute. Throws an Error naming the
 * source and the fix when it has no usable current context.
 */
export function whereaboutsKubeconfig(
  text: string,
  source: string,
  namespace = WHEREABOUTS_NAMESPACE,
): string {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw new Error(
      `whereabouts kubeconfig ${source}: not YAML (${(e as Error).message}); give a kubeconfig file`,
    );
  }
  if (!isJsonObject(doc))
    throw new Error(`whereabouts kubeconfig ${source}: not a kubeconfig; give a kubeconfig file`);
  const current = doc['current-context'];
  const contexts = Array.isArray(doc.contexts) ? doc.contexts : [];
  const entry = contexts.find((c): c is JsonObject => isJsonObject(c) && c.name === current);
  if (typeof current !== 'string' || !entry || !isJsonObject(entry.context))
    throw new Error(
      `whereabouts kubeconfig ${source}: current-context ${JSON.stringify(current)} is not one of its contexts; ` +
        'give a kubeconfig whose current context names the cluster and user whereabouts runs as',
    );
  const out = { ...doc };
  out.contexts = contexts.map((c) =>
    c === entry ? { ...entry, context: { ...(entry.context as JsonObject), namespace } } : c,
  );
  const base = path.dirname(path.resolve(source));
  for (const [section, keys] of Object.entries(FILE_KEYS)) {
    const items = doc[section];
    if (!Array.isArray(items)) continue;
    const inner = section === 'clusters' ? 'cluster' : 'user';
    out[section] = items.map((item) => {
      if (!isJsonObject(item) || !isJsonObject(item[inner])) return item;
      const body = { ...(item[inner] as JsonObject) };
      for (const k of keys)
        if (typeof body[k] === 'string' && body[k] !== '' && !path.isAbsolute(body[k] as string))
          body[k] = path.resolve(base, body[k] as string);
      return { ...item, [inner]: body };
    });
  }
  return stringify(out);
}

/**
 * `list` with the NAD's node-local paths removed from every whereabouts IPAM and, given the
 * node's `files`, `configuration_path` pointing at its flat file (without them, whereabouts looks
 * for its flat file in its default places, as on a host where its DaemonSet installed one); the
 * same list when it has no whereabouts IPAM.
 * Throws CniConfigError for what whereabouts cannot do here: `node_slice_size` (Fast IPAM needs
 * whereabouts' node-slice controller, which local mode does not run).
 */
export function withNodeWhereabouts(list: NetworkConfigList, files?: WhereaboutsFiles): NetworkConfigList {
  const problems: ConfigProblem[] = [];
  let changed = false;
  const plugins = list.plugins.map((plugin, i): PluginConfig => {
    const ipam = plugin.ipam;
    if (!isJsonObject(ipam) || ipam.type !== WHEREABOUTS_IPAM_TYPE) return plugin;
    const at = `$.plugins[${i}].ipam`;
    if (ipam.node_slice_size !== undefined && ipam.node_slice_size !== '')
      problems.push({
        path: `${at}.node_slice_size`,
        value: ipam.node_slice_size,
        message:
          "is not supported: Fast IPAM's node slices need whereabouts' node-slice controller, which virtkit does not run",
        fix: 'remove node_slice_size; whereabouts then allocates from the whole range',
      });
    const own: JsonObject = {};
    for (const [k, v] of Object.entries(ipam)) if (!WHEREABOUTS_NODE_FIELDS.includes(k)) own[k] = v;
    changed = true;
    return { ...plugin, ipam: files ? { ...own, configuration_path: files.flatFile } : own };
  });
  if (problems.length) throw new CniConfigError(list.source, problems);
  return changed ? { ...list, plugins } : list;
}

/** A pod's resolved networks (Multus's default network and attachments) with withNodeWhereabouts applied to each. */
export function whereaboutsNetworks<
  N extends {
    readonly defaultNetwork?: { readonly list: NetworkConfigList };
    readonly attachments?: readonly { readonly list: NetworkConfigList }[];
  },
>(networks: N, files?: WhereaboutsFiles): N {
  const out: N = { ...networks };
  if (networks.defaultNetwork)
    Object.assign(out, {
      defaultNetwork: {
        ...networks.defaultNetwork,
        list: withNodeWhereabouts(networks.defaultNetwork.list, files),
      },
    });
  if (networks.attachments)
    Object.assign(out, {
      attachments: networks.attachments.map((a) => ({ ...a, list: withNodeWhereabouts(a.list, files) })),
    });
  return out;
}
