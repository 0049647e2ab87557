/**
 * The node handler's API (the role of virt-handler's REST server on port 8186), the one contract
 * between `virtkit api` and the handler of each node: where a handler is reached, how its TLS
 * certificate is named, and the paths of the actions it performs on the VMIs of its node.
 * Both sides import this file (neither imports the other). Pure.
 *
 *   PUT  /v1/namespaces/{ns}/virtualmachineinstances/{name}/{pause|unpause|softreboot|reset|freeze|unfreeze}
 *   GET  /v1/namespaces/{ns}/virtualmachineinstances/{name}/{guestosinfo|userlist|filesystemlist}
 *   GET  /v1/namespaces/{ns}/virtualmachineinstances/{name}/{console|vnc|...}   (websocket upgrades)
 *
 * These are KubeVirt's virt-handler paths. They are the handler's own, not the Kubernetes API
 * server's, so they are built here from segments (kube/ builds the API server's paths).
 */

/**
 * The Node annotation where a handler publishes its API, `https://<address>:<port>` (KubeVirt
 * finds virt-handler through its pod's IP and port 8186; local mode has no handler pod). Only
 * the handler writes it, by server-side apply of its own Node.
 */
export const HANDLER_ENDPOINT_ANNOTATION = 'virtkit.io/handler-endpoint';

// The port and the two certificate names are the install's too (api/install renders them).
export { DEFAULT_NODE_API_PORT, NODE_API_CLIENT_NAME, NODE_API_SERVER_NAME } from '../api/install/names';

export const NODE_API_VERSION = 'v1';

/** The actions a handler performs on a VMI, with their method (KubeVirt's virt-handler routes). */
export const NODE_VMI_ACTIONS = {
  pause: 'PUT',
  unpause: 'PUT',
  softreboot: 'PUT',
  reset: 'PUT',
  freeze: 'PUT',
  unfreeze: 'PUT',
  guestosinfo: 'GET',
  userlist: 'GET',
  filesystemlist: 'GET',
} as const;

export type NodeVmiAction = keyof typeof NODE_VMI_ACTIONS;

export function isNodeVmiAction(s: string): s is NodeVmiAction {
  return Object.prototype.hasOwnProperty.call(NODE_VMI_ACTIONS, s);
}

const VMIS = 'virtualmachineinstances';

/**
 * `/v1/namespaces/{ns}/virtualmachineinstances/{name}/{action}[/{rest}...]` with every segment
 * escaped; `action` may be a stream (`console`, `vnc`, `portforward` with its port in `rest`).
 */
export function nodeVmiPath(namespace: string, name: string, action: string, ...rest: string[]): string {
  return ['', NODE_API_VERSION, 'namespaces', namespace, VMIS, name, action, ...rest]
    .map((s, i) => (i === 0 ? s : encodeURIComponent(s)))
    .join('/');
}

export interface NodeVmiTarget {
  readonly namespace: string;
  readonly name: string;
  /** pause, guestosinfo, console, ... (not checked against NODE_VMI_ACTIONS). */
  readonly action: string;
  /** Segments after the action (portforward's port). */
  readonly rest: readonly string[];
}

/** What a request path names, or undefined when it is not a VMI path of the node API. */
export function parseNodeVmiPath(pathname: string): NodeVmiTarget | undefined {
  const parts = pathname.split('/');
  if (parts[0] !== '' || parts.length < 7) return undefined;
  let segs: string[];
  try {
    segs = parts.slice(1).map((p) => decodeURIComponent(p));
  } catch {
    return undefined;
  }
  const [version, nsWord, namespace, vmis, name, action, ...rest] = segs;
  if (version !== NODE_API_VERSION || nsWord !== 'namespaces' || vmis !== VMIS) return undefined;
  if (!namespace || !name || !action || rest.some((s) => s === '')) return undefined;
  return { namespace, name, action, rest };
}

/**
 * The endpoint a handler published, checked: an https URL with a host, a port and nothing else.
 * Throws with the reason (the value is shown, it is a node's annotation).
 */
export function parseHandlerEndpoint(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${JSON.stringify(value)} is not a URL`);
  }
  if (url.protocol !== 'https:') throw new Error(`${JSON.stringify(value)} is not an https URL`);
  if (!url.hostname || !url.port) throw new Error(`${JSON.stringify(value)} names no host and port`);
  if (url.username || url.password || (url.pathname !== '/' && url.pathname !== '') || url.search || url.hash)
    throw new Error(`${JSON.stringify(value)} must be https://<host>:<port> and nothing more`);
  return new URL(`https://${url.host}`);
}

/** `https://<address>:<port>` for an address (IPv6 in brackets) and a port. */
export function handlerEndpoint(address: string, port: number): string {
  return `https://${address.includes(':') ? `[${address}]` : address}:${port}`;
}

/*
 * Uploads (virtkit's; CDI reaches its upload server pod through a Service instead): the body of
 * an upload to claim `{claim}` goes to the upload server that the node's worker runner runs for
 * it, on that node.
 *
 *   POST|HEAD /v1/namespaces/{ns}/persistentvolumeclaims/{claim}/{upload|upload-async|upload-form|upload-form-async}
 */
export const NODE_UPLOAD_KINDS = ['upload', 'upload-async', 'upload-form', 'upload-form-async'] as const;
export type NodeUploadKind = (typeof NODE_UPLOAD_KINDS)[number];

/** CDI's form field that carries the image in a form upload (`upload-form`, `upload-form-async`). */
export const UPLOAD_FORM_FIELD = 'file';

/** How to send a form upload right, or raw bytes instead: the fix every form refusal names. */
export const UPLOAD_FORM_FIX = `send the image as the form field "${UPLOAD_FORM_FIELD}" (curl -F ${UPLOAD_FORM_FIELD}=@disk.qcow2), or POST the raw image bytes to /v1beta1/upload (or /v1beta1/upload-async) instead`;

/**
 * Why a form upload with this Content-Type cannot be read, or undefined when it is a
 * multipart/form-data body with a boundary (pure). The upload proxy asks before it streams a
 * byte to the node; the upload server asks again, as it is the one that parses the form.
 */
export function formUploadProblem(contentType: string | undefined): string | undefined {
  const [type = '', ...params] = (contentType ?? '').split(';');
  if (type.trim().toLowerCase() !== 'multipart/form-data')
    return `a form upload takes a multipart/form-data body, not ${contentType ? `Content-Type ${JSON.stringify(contentType)}` : 'a body without a Content-Type'}; ${UPLOAD_FORM_FIX}`;
  if (!params.some((p) => /^\s*boundary\s*=\s*"?[^\s"]/i.test(p)))
    return `the multipart/form-data Content-Type ${JSON.stringify(contentType)} names no boundary; ${UPLOAD_FORM_FIX}`;
  return undefined;
}

export function nodeUploadPath(namespace: string, claim: string, kind: NodeUploadKind): string {
  return ['', NODE_API_VERSION, 'namespaces', namespace, 'persistentvolumeclaims', claim, kind]
    .map((s, i) => (i === 0 ? s : encodeURIComponent(s)))
    .join('/');
}

/** What an upload path names, or undefined when it is not one. */
export function parseNodeUploadPath(
  pathname: string,
): { namespace: string; claim: string; kind: NodeUploadKind } | undefined {
  const parts = pathname.split('/');
  if (parts.length !== 7 || parts[0] !== '' || parts[1] !== NODE_API_VERSION) return undefined;
  if (parts[2] !== 'namespaces' || parts[4] !== 'persistentvolumeclaims') return undefined;
  const kind = parts[6] as NodeUploadKind;
  if (!NODE_UPLOAD_KINDS.includes(kind)) return undefined;
  try {
    const namespace = decodeURIComponent(parts[3]);
    const claim = decodeURIComponent(parts[5]);
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(namespace) || namespace.length > 63) return undefined;
    if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(claim) || claim.length > 253) return undefined;
    return { namespace, claim, kind };
  } catch {
    return undefined;
  }
}
