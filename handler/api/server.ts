/**
 * The handler's node API (the role of virt-handler's REST server, port 8186 in KubeVirt):
 * HTTPS with mutual TLS, serving `virtkit api` only. Every request and every websocket upgrade
 * is authenticated first by its client certificate (./auth.ts: chains to the configured client
 * CA, its common name allowed); anything else gets a 401 or 403 Status and nothing of the node
 * is touched. Then:
 *
 *   PUT /v1/namespaces/{ns}/virtualmachineinstances/{name}/{pause|unpause|softreboot|reset|freeze|unfreeze}
 *   GET /v1/namespaces/{ns}/virtualmachineinstances/{name}/{guestosinfo|userlist|filesystemlist}
 *       -> ./actions.ts, through the launcher of that VMI on this node
 *   Upgrade requests (console, vnc, ...) -> handleStreamUpgrade (./streams.ts)
 *   POST /v1/namespaces/{ns}/persistentvolumeclaims/{claim}/upload[-async]
 *       -> ./uploads.ts, streamed to that claim's upload server on this node
 *
 * A VMI that is not this node's is a 404, one whose launcher cannot take requests yet (or any
 * more) a 409; an unknown path 404, a wrong method 405, a bad body 400. Answers are JSON:
 * the action's answer, or a Kubernetes Status.
 */
import * as fs from 'fs';
import type { IncomingMessage, ServerResponse } from 'http';
import * as https from 'https';
import type { AddressInfo } from 'net';
import type { Duplex } from 'stream';
import type { TLSSocket } from 'tls';
import { BodyError, readJsonBody, sendAnswer } from '../../common/http-json';
import { failure, failureStatus } from '../../common/kube-status';
import type { Logger } from '../../common/log';
import {
  isNodeVmiAction,
  NODE_VMI_ACTIONS,
  parseNodeUploadPath,
  parseNodeVmiPath,
  type NodeVmiAction,
} from '../../common/node-api';
import { refuseUpgrade } from '../../common/plain-stream';
import { parsePemBundle, peerCertificateChain } from '../../common/x509';
import type { EventSpec, EventTarget } from '../../kube/events';
import { LauncherClient } from '../../launcher/api/client';
import { performAction, type ActionAnswer, type ActionLauncher } from './actions';
import { authenticateNodeApiClient, type NodeApiAuthResult, type NodeApiClientPolicy } from './auth';
import { handleStreamUpgrade } from './streams';
import { handleNodeUpload } from './uploads';
import { parseNodeExportPath } from '../../common/node-export-api';
import { handleNodeExport } from '../exporter/node-proxy';
import type { ExportEndpoint } from '../exporter/pod-runner';
import type { NodeStreamContext, NodeVmiLocator } from './types';
import type { TlsCredentials } from '../../common/tls-secret-source';

/** The largest request body (a freeze timeout is a few bytes). */
export const MAX_NODE_API_BODY_BYTES = 64 * 1024;

export interface NodeApiServerOptions {
  /**
   * The serving certificate and key and the CA (bundle) the caller's client certificate must
   * chain to: PEM files (local mode), or the PEM itself (cluster mode reads them from a Secret
   * and hands renewals to setCredentials).
   */
  readonly tls:
    | { readonly certFile: string; readonly keyFile: string; readonly clientCaFile: string }
    | { readonly credentials: TlsCredentials };
  /** Common names of the callers allowed (the api component's client certificate). */
  readonly allowedClients: readonly string[];
  /** Address to listen on. */
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly nodeName: string;
  readonly locator: NodeVmiLocator;
  readonly log: Logger;
  /** Records KubeVirt's Events about the actions (SoftRebooted). */
  readonly recorder?: { record(target: EventTarget, ev: EventSpec): Promise<void> };
  /** @default a LauncherClient on the socket */
  readonly launcher?: (socket: string) => ActionLauncher;
  /** The socket of the ready upload server of a claim on this node (./uploads.ts). @default none */
  readonly uploadSocket?: (namespace: string, claim: string) => string | undefined;
  /** The ready export server of an export on this node (../exporter/node-proxy.ts). @default none */
  readonly exportEndpoint?: (namespace: string, name: string) => ExportEndpoint | undefined;
}

export interface RunningNodeApi {
  readonly port: number;
  /** Serve with these from now on (a renewal); connections already open keep theirs. */
  setCredentials(c: TlsCredentials): void;
  close(): Promise<void>;
}

/** What a request names (pure): an action on a VMI, or the answer that refuses it. */
export type NodeRoute =
  | {
      readonly kind: 'action';
      readonly namespace: string;
      readonly name: string;
      readonly action: NodeVmiAction;
    }
  | { readonly kind: 'answer'; readonly answer: ActionAnswer; readonly allow?: string };

export function routeNodeRequest(method: string, pathname: string): NodeRoute {
  const target = parseNodeVmiPath(pathname);
  if (!target || target.rest.length || !isNodeVmiAction(target.action))
    return { kind: 'answer', answer: failure(404, `the node API has nothing at ${pathname}`) };
  const wanted = NODE_VMI_ACTIONS[target.action];
  if (method !== wanted)
    return {
      kind: 'answer',
      answer: failure(405, `${target.action} takes ${wanted}, not ${method}`),
      allow: wanted,
    };
  return { kind: 'action', namespace: target.namespace, name: target.name, action: target.action };
}

function send(res: ServerResponse, answer: ActionAnswer, allow?: string): void {
  sendAnswer(res, answer, allow ? { Allow: allow } : {});
}

const STATUS_TEXT: Readonly<Record<number, string>> = { 401: 'Unauthorized', 403: 'Forbidden' };

export async function startNodeApiServer(o: NodeApiServerOptions): Promise<RunningNodeApi> {
  if (!o.allowedClients.length) throw new Error('the node API needs at least one allowed client name');
  const tls = o.tls;
  const first: TlsCredentials =
    'credentials' in tls
      ? tls.credentials
      : {
          cert: fs.readFileSync(tls.certFile),
          key: fs.readFileSync(tls.keyFile),
          ca: fs.readFileSync(tls.clientCaFile),
        };
  const policyOf = (ca: Buffer, where: string): NodeApiClientPolicy => {
    try {
      return { clientCas: parsePemBundle(ca.toString('utf8')), allowedNames: [...o.allowedClients] };
    } catch (err) {
      throw new Error(`${where}: ${(err as Error).message}`);
    }
  };
  let policy = policyOf(
    first.ca,
    'credentials' in tls
      ? "the node API's client CA (ca.crt)"
      : `--node-api-client-ca-file ${tls.clientCaFile}`,
  );
  const launcherOf = o.launcher ?? ((socket: string) => new LauncherClient(socket));
  const log = o.log;
  const authenticate = (req: IncomingMessage): NodeApiAuthResult =>
    authenticateNodeApiClient({ policy, peerChain: peerCertificateChain(req.socket as TLSSocket) });

  const streamContext: NodeStreamContext = {
    launcherSocket: (namespace, name) => {
      const at = o.locator.locate(namespace, name);
      return at.kind === 'ready' ? at.socket : undefined;
    },
    log,
  };

  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'https://node');
    const method = req.method ?? 'GET';
    const auth = authenticate(req);
    if (!auth.ok) {
      log.info({ method, path: url.pathname }, `node API request refused: ${auth.reason}`);
      return send(res, failure(auth.status, `${STATUS_TEXT[auth.status]}: ${auth.reason}`));
    }
    const upload = parseNodeUploadPath(url.pathname);
    if (upload) return handleNodeUpload(req, res, upload, o.uploadSocket ?? (() => undefined), log);
    const exported = parseNodeExportPath((req.url ?? '/').split('?')[0] ?? '/');
    if (exported)
      return handleNodeExport(req, res, exported, url.search, o.exportEndpoint ?? (() => undefined), log);
    const route = routeNodeRequest(method, url.pathname);
    if (route.kind === 'answer') return send(res, route.answer, route.allow);
    const { namespace, name, action } = route;
    const fields = { kind: 'VirtualMachineInstance', namespace, name, action, client: auth.name };
    let body: unknown;
    try {
      body = await readJsonBody(req, MAX_NODE_API_BODY_BYTES);
    } catch (err) {
      return send(res, failure(err instanceof BodyError ? err.status : 400, (err as Error).message));
    }
    const at = o.locator.locate(namespace, name);
    if (at.kind === 'absent')
      return send(
        res,
        failure(404, `virtualmachineinstance ${namespace}/${name} does not run on node ${o.nodeName}`),
      );
    if (at.kind === 'not-ready')
      return send(res, failure(409, `virtualmachineinstance ${namespace}/${name}: ${at.why}`));
    const answer = await performAction(action, body, launcherOf(at.socket));
    if (answer.status < 300) {
      if (NODE_VMI_ACTIONS[action] === 'PUT') log.info(fields, `${action} done`);
      else log.debug(fields, `${action} answered`);
      if (action === 'softreboot')
        void o.recorder?.record(at.vmi, {
          type: 'Normal',
          reason: 'SoftRebooted',
          message: 'VirtualMachineInstance soft rebooted',
        });
    } else {
      log.info(
        { ...fields, code: answer.status },
        `${action} failed: ${(answer.body as { message?: string } | undefined)?.message ?? ''}`,
      );
    }
    send(res, answer);
  };

  const server = https.createServer(
    {
      cert: first.cert,
      key: first.key,
      ca: first.ca,
      minVersion: 'TLSv1.2',
      // Ask every caller for its certificate; the check is ours, so a refusal is a readable Status.
      requestCert: true,
      rejectUnauthorized: false,
    },
    (req, res) => {
      serve(req, res).catch((err: unknown) => {
        log.error({ path: req.url, err: (err as Error).message }, 'node API request failed');
        send(res, failure(500, `internal error: ${(err as Error).message}`));
      });
    },
  );
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const auth = authenticate(req);
    if (!auth.ok) {
      log.info({ path: req.url }, `node API upgrade refused: ${auth.reason}`);
      refuseUpgrade(
        socket,
        auth.status,
        failureStatus(auth.status, `${STATUS_TEXT[auth.status]}: ${auth.reason}`),
      );
      return;
    }
    handleStreamUpgrade(req, socket, head, streamContext);
  });
  server.on('tlsClientError', (err) => log.debug({ err: err.message }, 'node API TLS handshake failed'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    setCredentials: (c) => {
      const next = policyOf(c.ca, "the node API's client CA (ca.crt)");
      server.setSecureContext({ cert: c.cert, key: c.key, ca: c.ca, minVersion: 'TLSv1.2' });
      policy = next;
    },
    // Upgraded connections (console sessions) are not the HTTP server's to close: do not wait
    // for them longer than a moment (their launcher side ends with the guest or the launcher).
    close: () =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 2000);
        timer.unref();
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}
