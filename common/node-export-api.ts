/**
 * Exports on the node API (virtkit's; KubeVirt's virt-exportproxy reaches the exporter's Service
 * instead): `virtkit api` forwards a request for export `{ns}/{name}` to the handler of the node
 * its exporter pod runs on, which passes it to that pod's export server. The path after the
 * export is the export server's own (`/volumes/...`, `/external/manifests/...`), as the client
 * sent it, percent-encoding and all (the export server checks it). Both sides import this file.
 * Pure.
 *
 *   GET|HEAD /v1/namespaces/{ns}/virtualmachineexports/{name}/{export server path...}
 */
import { NODE_API_VERSION } from './node-api';

const EXPORTS = 'virtualmachineexports';
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export interface NodeExportTarget {
  readonly namespace: string;
  readonly name: string;
  /** The export server's path, starting with `/`, still percent-encoded. */
  readonly rest: string;
}

/** The node API path of `rest` (an export server path beginning with `/`) of export `namespace/name`. */
export function nodeExportPath(namespace: string, name: string, rest: string): string {
  const head = ['', NODE_API_VERSION, 'namespaces', namespace, EXPORTS, name]
    .map((s, i) => (i === 0 ? s : encodeURIComponent(s)))
    .join('/');
  return `${head}${rest}`;
}

/** Splits `/{prefix}/namespaces/{ns}/virtualmachineexports/{name}{rest}` (pure); undefined when it is not one. */
export function splitExportPath(pathname: string, prefix: string): NodeExportTarget | undefined {
  const head = [prefix, 'namespaces', ''].join('/');
  if (!pathname.startsWith(head)) return undefined;
  const parts = pathname.slice(head.length).split('/');
  const [namespace, kind, name] = parts;
  if (kind !== EXPORTS || !namespace || !name) return undefined;
  if (namespace.length > 63 || !DNS_LABEL.test(namespace)) return undefined;
  if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) return undefined;
  const restParts = parts.slice(3);
  // A dot segment could be resolved by a server on the way into another path: refused here.
  for (const seg of restParts) {
    let d: string;
    try {
      d = decodeURIComponent(seg);
    } catch {
      return undefined;
    }
    if (d === '.' || d === '..' || d.includes('/') || d.includes('\\')) return undefined;
  }
  const rest = `/${restParts.join('/')}`;
  if (rest === '/') return undefined;
  return { namespace, name, rest };
}

/** What a node API export path names, or undefined when it is not one. */
export function parseNodeExportPath(pathname: string): NodeExportTarget | undefined {
  return splitExportPath(pathname, `/${NODE_API_VERSION}`);
}
