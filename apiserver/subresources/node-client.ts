/**
 * How `virtkit api` reaches the handler of a VMI's node (virt-api's virt-handler client): the
 * VMI's `status.nodeName`, then that Node's annotation `virtkit.io/handler-endpoint`
 * (https://<address>:<port>, written by the handler: common/node-api.ts), over HTTPS with mutual
 * TLS: the api presents its node client certificate, and checks the handler's certificate
 * against the node CA for the name every handler's certificate carries (`virtkit-handler`), so
 * no other certificate of that CA passes for a handler. The websocket streams (./streams.ts)
 * dial the same connection; plain requests go through nodeRequest.
 *
 * Failures are SubresourceErrors, answered as they are: 404 for a VMI that does not exist, 409
 * for one that is not Running or Scheduled (KubeVirt's words: "Unable to connect to
 * VirtualMachineInstance because phase is Pending instead of Running or Scheduled"; KubeVirt
 * answers that one with 400), 409 for one that has no node yet, 503 when the node or its
 * handler cannot be found or reached, and 500 ("Internal error occurred: ...", as virt-api
 * wraps every virt-handler failure) when the handler refused the request.
 */
import * as https from 'https';
import { isIP } from 'net';
import type { VirtualMachineInstance } from '../../api/kubevirt/v1';
import {
  HANDLER_ENDPOINT_ANNOTATION,
  NODE_API_SERVER_NAME,
  parseHandlerEndpoint,
} from '../../common/node-api';
import { errorMessage, isNotFound, KubeApiError, NODES, VIRTUAL_MACHINE_INSTANCES } from '../../kube';
import { failure } from '../../common/kube-status';
import { SubresourceError } from './subresource-error';
import type { SubresourceAnswer, SubresourceContext } from './types';

/** Where and how to reach the handler of a VMI's node. */
export interface NodeConnection {
  /** https://host:port of the handler of the VMI's node. */
  readonly url: URL;
  /** The CA the handler's serving certificate must chain to (PEM). */
  readonly ca: Buffer;
  /** The api component's client certificate and key for the node API (PEM). */
  readonly cert: Buffer;
  readonly key: Buffer;
  /** The TLS server name the handler's certificate is checked for (and sent as SNI). */
  readonly servername: string;
}

/** How long a plain request to a handler may take (virt-api's handler client: 10 s). */
export const NODE_REQUEST_TIMEOUT_MS = 10_000;

const GROUP = 'kubevirt.io';
const VMI = 'virtualmachineinstance';

function vmiDetails(name: string): Record<string, unknown> {
  return { name, group: GROUP, kind: VMI };
}

/** 404: `virtualmachineinstance.kubevirt.io "NAME" not found` (virt-api's FetchVirtualMachineInstance). */
export function vmiNotFound(name: string): SubresourceAnswer {
  return failure(404, `${VMI}.${GROUP} ${JSON.stringify(name)} not found`, vmiDetails(name));
}

/** 409: `Operation cannot be fulfilled on virtualmachineinstance.kubevirt.io "NAME": WHY`. */
export function vmiConflict(name: string, why: string): SubresourceAnswer {
  return failure(
    409,
    `Operation cannot be fulfilled on ${VMI}.${GROUP} ${JSON.stringify(name)}: ${why}`,
    vmiDetails(name),
  );
}

/** 403: `virtualmachineinstance.kubevirt.io "NAME" is forbidden: WHY`. */
export function vmiForbidden(name: string, why: string): SubresourceAnswer {
  return failure(403, `${VMI}.${GROUP} ${JSON.stringify(name)} is forbidden: ${why}`, vmiDetails(name));
}

/** 500: `Internal error occurred: WHY` (what virt-api answers for a failure of virt-handler). */
export function nodeInternalError(why: string): SubresourceAnswer {
  return failure(500, `Internal error occurred: ${why}`, { causes: [{ message: why }] });
}

function serverWords(err: unknown): string {
  return err instanceof KubeApiError && err.serverMessage ? err.serverMessage : errorMessage(err);
}

/** The VMI, read with the api component's client; a SubresourceError when it cannot be. */
export async function fetchVmi(
  namespace: string,
  name: string,
  ctx: SubresourceContext,
): Promise<VirtualMachineInstance> {
  try {
    return await ctx.client.get<VirtualMachineInstance>(VIRTUAL_MACHINE_INSTANCES, namespace, name);
  } catch (err) {
    if (isNotFound(err)) throw new SubresourceError(vmiNotFound(name));
    throw new SubresourceError(nodeInternalError(`unable to retrieve vmi [${name}]: ${serverWords(err)}`));
  }
}

type VmiLike = Pick<VirtualMachineInstance, 'metadata'> & {
  status?: { phase?: string; nodeName?: string };
};

/**
 * Whether a VMI can be reached on a node (pure): Running or Scheduled, with a node. Answers the
 * refusal, or the node's name.
 */
export function vmiNode(vmi: VmiLike): { refusal: SubresourceAnswer } | { nodeName: string } {
  const name = vmi.metadata?.name ?? '';
  const phase = vmi.status?.phase ?? '';
  if (phase !== 'Running' && phase !== 'Scheduled')
    return {
      refusal: vmiConflict(
        name,
        `Unable to connect to VirtualMachineInstance because phase is ${phase} instead of Running or Scheduled`,
      ),
    };
  const nodeName = vmi.status?.nodeName;
  if (!nodeName) return { refusal: vmiConflict(name, 'VMI is not assigned to a node yet') };
  return { nodeName };
}

/** The api's node client credentials; a 503 when it was started without them. */
function nodeCredentials(ctx: SubresourceContext): NonNullable<SubresourceContext['node']> {
  if (!ctx.node)
    throw new SubresourceError(
      failure(
        503,
        'virtkit api cannot reach the node handlers: it has no node client certificate (it was started without --node-client-cert-file, --node-client-key-file and --node-ca-file, or the Secret of --node-client-secret has none yet)',
      ),
    );
  return ctx.node;
}

/** The TLS and address options of a request to a handler (mutual TLS, the handler's name checked). */
export function nodeRequestOptions(conn: NodeConnection): https.RequestOptions {
  return {
    host: conn.url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: Number(conn.url.port),
    ca: conn.ca,
    cert: conn.cert,
    key: conn.key,
    // SNI only for names (an address is checked against the certificate's IP names).
    servername: isIP(conn.servername) ? '' : conn.servername,
    minVersion: 'TLSv1.2',
    agent: false,
  };
}

/** The connection to the handler of `vmi`'s node (its node's published endpoint). */
export async function nodeConnectionForVmi(vmi: VmiLike, ctx: SubresourceContext): Promise<NodeConnection> {
  nodeCredentials(ctx);
  const where = vmiNode(vmi);
  if ('refusal' in where) throw new SubresourceError(where.refusal);
  return nodeConnectionForNode(where.nodeName, `${VMI} ${JSON.stringify(vmi.metadata?.name ?? '')}`, ctx);
}

/**
 * The connection to the handler of node `nodeName` (its published endpoint); `of` names what
 * runs there in messages ("the node X of <of> does not exist").
 */
export async function nodeConnectionForNode(
  nodeName: string,
  of: string,
  ctx: SubresourceContext,
): Promise<NodeConnection> {
  const creds = nodeCredentials(ctx);
  let node: { metadata?: { annotations?: Record<string, string> } };
  try {
    node = await ctx.client.get(NODES, undefined, nodeName);
  } catch (err) {
    if (isNotFound(err))
      throw new SubresourceError(failure(503, `the node ${nodeName} of ${of} does not exist`));
    throw new SubresourceError(
      nodeInternalError(`unable to retrieve node [${nodeName}]: ${serverWords(err)}`),
    );
  }
  const endpoint = node.metadata?.annotations?.[HANDLER_ENDPOINT_ANNOTATION];
  if (!endpoint)
    throw new SubresourceError(
      failure(
        503,
        `the handler of node ${nodeName} publishes no endpoint (annotation ${HANDLER_ENDPOINT_ANNOTATION}); is virtkit handler running there, with its node API?`,
      ),
    );
  let url: URL;
  try {
    url = parseHandlerEndpoint(endpoint);
  } catch (err) {
    throw new SubresourceError(
      failure(503, `node ${nodeName}: ${HANDLER_ENDPOINT_ANNOTATION} ${errorMessage(err)}`),
    );
  }
  return { url, ca: creds.ca, cert: creds.cert, key: creds.key, servername: NODE_API_SERVER_NAME };
}

/**
 * Where the handler of the VMI `namespace/name` is reached: reads the VMI (its status.nodeName)
 * and its Node (the endpoint the handler published). Throws SubresourceErrors (see above).
 */
export async function nodeConnectionFor(
  namespace: string,
  name: string,
  ctx: SubresourceContext,
): Promise<NodeConnection> {
  return nodeConnectionForVmi(await fetchVmi(namespace, name, ctx), ctx);
}

/** A handler's refusal of a request: the answer to give, and what the handler said. */
export class NodeRequestError extends SubresourceError {
  constructor(
    answer: SubresourceAnswer,
    method: string,
    path: string,
    /** The handler's HTTP status (0: no answer). */
    readonly nodeStatus: number,
    /** The handler's own words (its Status message), or the transport's error. */
    readonly nodeMessage: string,
  ) {
    super(answer, method, path);
    this.name = 'NodeRequestError';
  }
}

export interface NodeAnswer {
  readonly status: number;
  /** The JSON body, parsed; undefined when there is none. */
  readonly body: unknown;
}

/**
 * One plain request to a handler (`path` from nodeVmiPath, common/node-api.ts). Resolves with a
 * 2xx answer; a handler that cannot be reached is a 503, one that refuses the request a 500
 * "Internal error occurred: <its words>" (NodeRequestError, with what the handler said).
 */
export function nodeRequest(
  conn: NodeConnection,
  method: string,
  path: string,
  body?: unknown,
  opts: { timeoutMs?: number } = {},
): Promise<NodeAnswer> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const timeoutMs = opts.timeoutMs ?? NODE_REQUEST_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const unreachable = (why: string): void =>
      reject(
        new NodeRequestError(
          failure(503, `cannot reach the node handler at ${conn.url.host}: ${why}`),
          method,
          path,
          0,
          why,
        ),
      );
    const req = https.request(
      {
        ...nodeRequestOptions(conn),
        method,
        path,
        headers: {
          Accept: 'application/json',
          ...(payload !== undefined
            ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) }
            : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          if (text.length < 8 * 1024 * 1024) text += c;
        });
        res.on('error', (err) => unreachable(err.message));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          let parsed: unknown;
          try {
            parsed = text.trim() ? JSON.parse(text) : undefined;
          } catch {
            parsed = undefined;
          }
          if (status >= 200 && status < 300) {
            if (text.trim() && parsed === undefined)
              return reject(
                new NodeRequestError(
                  nodeInternalError(`the node handler's answer is not JSON: ${text.slice(0, 200)}`),
                  method,
                  path,
                  status,
                  text.slice(0, 200),
                ),
              );
            return resolve({ status, body: parsed });
          }
          const said =
            parsed && typeof (parsed as { message?: unknown }).message === 'string'
              ? (parsed as { message: string }).message
              : text.trim().slice(0, 500) || `HTTP ${status}`;
          reject(new NodeRequestError(nodeInternalError(said), method, path, status, said));
        });
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    req.on('error', (err) => unreachable(err.message));
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}
