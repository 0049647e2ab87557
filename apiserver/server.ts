/**
 * `virtkit api`'s HTTPS server (the role of KubeVirt's virt-api): the validating admission
 * webhook at /validate, the pod-eviction webhook at /pod-eviction, /healthz and /readyz, and the
 * aggregated API subresources.kubevirt.io under /apis (./subresources/router.ts), CDI's
 * upload.cdi.kubevirt.io token API and its upload proxy (./upload/). TLS is its own serving
 * certificate; the API server trusts it through the webhook configuration's and the APIService's
 * caBundle. The server asks every client for a certificate but does not require one (the API
 * server calls the webhook without one): the subresource API checks the front-proxy certificate
 * itself, per request.
 */
import * as fs from 'fs';
import type { IncomingMessage } from 'http';
import * as https from 'https';
import type { AddressInfo } from 'net';
import type { TLSSocket } from 'tls';
import type { Logger } from '../common/log';
import { peerCertificateChain } from '../common/x509';
import { admitRequest } from './admission/admit';
import type { KubeOvnLookup } from './admission/kube-ovn-addresses';
import { restoreLookupOf } from './admission/restore-lookup';
import { migrationLookupOf } from './admission/migration-lookup';
import type { MigrationLookup } from './admission/migrations';
import type { RestoreLookup } from './admission/restores-in-progress';
import type { AccessReview } from './admission/clone-authorization';
import type { AdmissionReview } from './admission/review';
import { admitPodEviction, type PodEvictionLookup } from './admission/pod-eviction';
import { podEvictionLookupOf } from './admission/pod-eviction-lookup';
import { POD_EVICTION_PATH, VALIDATE_PATH } from './admission/webhook-configuration';
import type { SubresourceHandlers } from './subresources/handlers';
import {
  authenticateRequestHeader,
  type AuthenticationResult,
  type RequestHeaderConfig,
} from './subresources/request-header';
import { isSubresourceApiPath, SubresourceRouter } from './subresources/router';
import { handleUploadProxy, isUploadProxyPath } from './upload/proxy';
import { handleExportProxy, isExportProxyPath } from './export/proxy';
import { handleUploadApi, isUploadApiPath } from './upload/token-api';
import type { SubresourceContext } from './subresources/types';

export { peerCertificateChain };

/** kube-apiserver's own limit on a request body (3 MiB); an AdmissionReview carries two objects. */
export const MAX_REVIEW_BYTES = 8 * 1024 * 1024;

export interface ApiServerOptions {
  /**
   * The serving certificate: PEM files (read again when their content changes, as a mounted
   * Secret's do when cert-manager or kubelet updates them), or a pair held in memory (the
   * certificate rotator's; replaced with `setCertificate`).
   */
  readonly tls: { readonly certFile: string; readonly keyFile: string } | { readonly pair: ServingPair };
  /** @default 8443; 0 picks a free port */
  readonly port?: number;
  /** @default 0.0.0.0 */
  readonly host?: string;
  readonly log: Logger;
  /** The gates turned on now. @default none */
  readonly featureGates?: () => ReadonlySet<string>;
  /**
   * Asks the API server whether a subject may do something (SubjectAccessReview): admission's
   * cross-namespace clone authorization. @default none: every such clone is refused
   */
  readonly accessReview?: AccessReview;
  /** The cluster's Kube-OVN Subnets and IP objects, for fixed addresses (apiserver/admission/kube-ovn-addresses.ts). */
  readonly kubeOvnLookup?: KubeOvnLookup;
  /**
   * The namespace's VirtualMachineRestores, so a second restore of a target in progress is refused
   * (apiserver/admission/restores-in-progress.ts). @default read through the subresource
   * API's client when `subresources` is given; else not checked
   */
  readonly restoreLookup?: RestoreLookup;
  /**
   * The VMI and the namespace's migrations, so a migration of a VMI that cannot move (or is
   * moving already) is refused (apiserver/admission/migrations.ts). @default read through the
   * subresource API's client when `subresources` is given; else not checked
   */
  readonly migrationLookup?: MigrationLookup;
  /**
   * The pods, VMIs and KubeVirt objects a pod eviction is decided on, and the VMI status patch
   * that marks it for evacuation (apiserver/admission/pod-eviction.ts). @default through the
   * subresource API's client when `subresources` is given; else every eviction is refused (500)
   */
  readonly podEvictionLookup?: PodEvictionLookup;
  /** The subresource API; without it, paths under /apis answer 404. */
  readonly subresources?: SubresourceApiOptions;
  /**
   * CDI's upload API (upload.cdi.kubevirt.io tokens, through the aggregator) and upload proxy
   * (/v1beta1/upload...), with the key tokens are signed with; needs `subresources`.
   */
  readonly upload?: { readonly tokenKey: Buffer };
}

/** Without a way to ask the API server, nobody may clone across namespaces. */
const denyAll: AccessReview = () => Promise.resolve(false);

export interface SubresourceApiOptions {
  readonly context: SubresourceContext;
  /** The request-header configuration in force (undefined: not known yet, every request is refused). */
  readonly requestHeader: () => RequestHeaderConfig | undefined;
  /** Why there is none, for the 401's message. */
  readonly requestHeaderProblem?: () => string | undefined;
  /** @default SUBRESOURCE_HANDLERS */
  readonly handlers?: SubresourceHandlers;
}

function authenticator(o: SubresourceApiOptions): (req: IncomingMessage) => AuthenticationResult {
  return (req) => {
    const config = o.requestHeader();
    if (!config)
      return {
        ok: false,
        reason: o.requestHeaderProblem?.() ?? 'the request-header configuration is not known yet',
      };
    return authenticateRequestHeader({
      config,
      peerChain: peerCertificateChain(req.socket as TLSSocket),
      headers: req.headersDistinct,
    });
  };
}

export interface ServingPair {
  /** PEM */
  readonly cert: string;
  /** PEM */
  readonly key: string;
}

export interface RunningApiServer {
  readonly port: number;
  /** Serve new connections with this certificate (established ones keep theirs). */
  setCertificate(pair: ServingPair): void;
  close(): Promise<void>;
}

/** How often certificate files are checked for new content. */
const CERT_FILE_POLL_MS = 15_000;

function readPair(tls: { certFile: string; keyFile: string }): ServingPair {
  return { cert: fs.readFileSync(tls.certFile, 'utf8'), key: fs.readFileSync(tls.keyFile, 'utf8') };
}

function reply(res: import('http').ServerResponse, code: number, body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': typeof body === 'string' ? 'text/plain' : 'application/json' });
  res.end(text);
}

export async function startApiServer(o: ApiServerOptions): Promise<RunningApiServer> {
  const router = o.subresources
    ? new SubresourceRouter({
        authenticate: authenticator(o.subresources),
        context: o.subresources.context,
        handlers: o.subresources.handlers,
      })
    : undefined;
  const upload = o.upload && o.subresources ? { ...o.upload, sub: o.subresources } : undefined;
  const restoreLookup =
    o.restoreLookup ?? (o.subresources ? restoreLookupOf(o.subresources.context.client) : undefined);
  const migrationLookup =
    o.migrationLookup ?? (o.subresources ? migrationLookupOf(o.subresources.context.client) : undefined);
  const podEvictionLookup =
    o.podEvictionLookup ?? (o.subresources ? podEvictionLookupOf(o.subresources.context.client) : undefined);
  let serving: ServingPair = 'pair' in o.tls ? o.tls.pair : readPair(o.tls);
  const server = https.createServer(
    {
      cert: serving.cert,
      key: serving.key,
      minVersion: 'TLSv1.2',
      // Ask for a client certificate (the front proxy's), never require one (the webhook's caller).
      requestCert: true,
      rejectUnauthorized: false,
    },
    (req, res) => {
      const url = new URL(req.url ?? '/', 'https://virtkit-api');
      if (req.method === 'GET' && (url.pathname === '/healthz' || url.pathname === '/readyz'))
        return reply(res, 200, 'ok');
      if (upload && isUploadProxyPath(url.pathname))
        return void handleUploadProxy({ key: upload.tokenKey, context: upload.sub.context }, req, res);
      if (o.subresources && isExportProxyPath(url.pathname))
        return void handleExportProxy(o.subresources.context, req, res);
      if (upload && isUploadApiPath(url.pathname))
        return void handleUploadApi(
          { authenticate: authenticator(upload.sub), key: upload.tokenKey, log: o.log },
          req,
          res,
        );
      if (router && isSubresourceApiPath(url.pathname)) return void router.handle(req, res);
      const evictions = url.pathname === POD_EVICTION_PATH;
      if (url.pathname !== VALIDATE_PATH && !evictions)
        return reply(res, 404, `no such path: ${url.pathname}`);
      if (req.method !== 'POST') return reply(res, 405, `${url.pathname} takes POST`);
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_REVIEW_BYTES) {
          reply(res, 413, `an AdmissionReview may be at most ${MAX_REVIEW_BYTES} bytes`);
          req.destroy();
          return;
        }
        chunks.push(c);
      });
      req.on('end', () => void answerReview());
      const answerReview = async (): Promise<void> => {
        if (res.writableEnded) return;
        let review: AdmissionReview;
        try {
          review = JSON.parse(Buffer.concat(chunks).toString('utf8')) as AdmissionReview;
        } catch (err) {
          return reply(res, 400, `the body is not JSON: ${(err as Error).message}`);
        }
        const answer = evictions
          ? await admitPodEviction(review, podEvictionLookup)
          : await admitRequest(
              review,
              o.featureGates?.() ?? new Set(),
              o.accessReview ?? denyAll,
              o.kubeOvnLookup,
              restoreLookup,
              migrationLookup,
            );
        const r = review.request;
        const resp = answer as { response?: { allowed?: boolean; status?: { message?: string } } };
        const fields = {
          kind: r?.kind?.kind,
          namespace: r?.namespace,
          name: r?.name,
          operation: r?.operation,
        };
        if (resp.response?.allowed) o.log.debug(fields, 'admitted');
        else o.log.info(fields, `denied: ${resp.response?.status?.message ?? ''}`);
        reply(res, 200, answer);
      };
    },
  );
  server.on('upgrade', (req: IncomingMessage, socket: import('stream').Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'https://virtkit-api');
    if (router && isSubresourceApiPath(url.pathname)) return router.handleUpgrade(req, socket, head);
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 8443, o.host ?? '0.0.0.0', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const setCertificate = (pair: ServingPair): void => {
    if (pair.cert === serving.cert && pair.key === serving.key) return;
    // Checked before it replaces the working one: a broken pair throws here and changes nothing.
    server.setSecureContext({ cert: pair.cert, key: pair.key, minVersion: 'TLSv1.2' });
    serving = pair;
    o.log.info('serving a new certificate');
  };
  const tls = o.tls;
  const poll =
    'certFile' in tls
      ? setInterval(() => {
          try {
            setCertificate(readPair(tls));
          } catch (err) {
            // A Secret volume mid-update, or a key that does not match yet: keep the old pair.
            o.log.warn(
              { err },
              'the certificate files could not be used; still serving the previous certificate',
            );
          }
        }, CERT_FILE_POLL_MS)
      : undefined;
  poll?.unref();
  return {
    port,
    setCertificate,
    close: () =>
      new Promise<void>((resolve) => {
        if (poll) clearInterval(poll);
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
