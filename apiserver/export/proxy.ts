/**
 * The export proxy (the role of KubeVirt's virt-exportproxy), on `virtkit api`'s own HTTPS port:
 *
 *   GET|HEAD /api/export.kubevirt.io/v1/namespaces/{ns}/virtualmachineexports/{name}/{path...}
 *
 * where {path} is the export server's (`volumes/<claim>/disk.img`, `external/manifests/all`...):
 * the external links of a Ready export point here. The export must exist and be Ready and its
 * exporter pod (`virt-export-<name>`) Ready on a node; the request then goes, over the node API's
 * mutual TLS, to the handler of that node, which passes it to the export server, and the answer
 * is streamed back as it is. The token is not checked here but by the export server, as
 * KubeVirt's proxy leaves it to the server: a missing or wrong token is the server's 401.
 */
import type { IncomingMessage, ServerResponse } from 'http';
import * as https from 'https';
import { EXPORT_API_VERSION, exporterPodName, TOKEN_HEADER } from '../../api/export/exporter-pod';
import { nodeExportPath, splitExportPath, type NodeExportTarget } from '../../common/node-export-api';
import { errorMessage, PODS, VIRTUAL_MACHINE_EXPORTS } from '../../kube';
import { nodeConnectionForNode, nodeRequestOptions } from '../subresources/node-client';
import { SubresourceError } from '../subresources/subresource-error';
import type { SubresourceContext } from '../subresources/types';

/** Where exports are served on `virtkit api` (KubeVirt's external link prefix). */
export const EXPORT_PROXY_PREFIX = ['', 'api', EXPORT_API_VERSION].join('/');

/** The export a proxy path names, or undefined when it is not one (pure). */
export function parseExportProxyPath(pathname: string): NodeExportTarget | undefined {
  return splitExportPath(pathname, EXPORT_PROXY_PREFIX);
}

export function isExportProxyPath(pathname: string): boolean {
  return pathname.startsWith(`${EXPORT_PROXY_PREFIX}/`);
}

interface ExportJson {
  status?: { phase?: string };
}
interface PodJson {
  spec?: { nodeName?: string };
  status?: { conditions?: { type?: string; status?: string }[] };
  metadata?: { ownerReferences?: { kind?: string; name?: string; controller?: boolean }[] };
}

/** Where an export can be reached (pure), or why not with the status to answer. */
export function exportReadiness(
  target: NodeExportTarget,
  e: ExportJson | undefined,
  pod: PodJson | undefined,
): { nodeName: string } | { status: number; reason: string } {
  const ref = `VirtualMachineExport ${target.namespace}/${target.name}`;
  if (!e) return { status: 404, reason: `${ref} not found` };
  if (e.status?.phase !== 'Ready')
    return {
      status: 503,
      reason: `${ref} is ${e.status?.phase ?? 'Pending'}, not Ready; wait for phase Ready`,
    };
  const owned = pod?.metadata?.ownerReferences?.some(
    (r) => r.controller && r.kind === 'VirtualMachineExport' && r.name === target.name,
  );
  const ready = pod?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
  if (!pod || !owned || !ready || !pod.spec?.nodeName)
    return { status: 503, reason: `the exporter pod of ${ref} is not Ready on a node yet` };
  return { nodeName: pod.spec.nodeName };
}

function plain(res: ServerResponse, code: number, text: string): void {
  if (res.headersSent) return void res.destroy();
  res.writeHead(code, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** Serves one request on an export path (never throws). */
export async function handleExportProxy(
  context: SubresourceContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const [rawPath = '/', ...q] = (req.url ?? '/').split('?');
  const query = q.length ? `?${q.join('?')}` : '';
  const method = req.method ?? 'GET';
  req.resume();
  if (method !== 'GET' && method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return plain(res, 405, `an export takes GET, not ${method}\n`);
  }
  const target = parseExportProxyPath(rawPath);
  if (!target)
    return plain(
      res,
      404,
      `${rawPath.slice(0, 200)} names no export; use ${EXPORT_PROXY_PREFIX}/namespaces/<namespace>/virtualmachineexports/<name>/<path> as in the export's status.links.external\n`,
    );
  const log = context.log;
  const fields = { kind: 'VirtualMachineExport', namespace: target.namespace, name: target.name };
  let where: ReturnType<typeof exportReadiness>;
  try {
    const e = await context.client.getIfExists<ExportJson>(
      VIRTUAL_MACHINE_EXPORTS,
      target.namespace,
      target.name,
    );
    const pod = e
      ? await context.client.getIfExists<PodJson>(PODS, target.namespace, exporterPodName(target.name))
      : undefined;
    where = exportReadiness(target, e, pod);
  } catch (err) {
    return plain(
      res,
      500,
      `reading VirtualMachineExport ${target.namespace}/${target.name}: ${errorMessage(err)}\n`,
    );
  }
  if (!('nodeName' in where)) return plain(res, where.status, `${where.reason}\n`);
  let conn;
  try {
    conn = await nodeConnectionForNode(
      where.nodeName,
      `the exporter pod of ${target.namespace}/${target.name}`,
      context,
    );
  } catch (err) {
    const answer = err instanceof SubresourceError ? err.answer : undefined;
    const message = (answer?.body as { message?: string } | undefined)?.message ?? errorMessage(err);
    return plain(res, answer?.status ?? 503, `${message}\n`);
  }
  const headers: Record<string, string> = {};
  for (const h of ['accept', 'range', TOKEN_HEADER]) {
    const v = req.headers[h];
    if (typeof v === 'string') headers[h] = v;
  }
  const upstream = https.request(
    {
      ...nodeRequestOptions(conn),
      method,
      path: nodeExportPath(target.namespace, target.name, target.rest) + query,
      headers,
    },
    (answer) => {
      const back: Record<string, string> = {};
      for (const h of ['content-type', 'content-length', 'location']) {
        const v = answer.headers[h];
        if (typeof v === 'string') back[h] = v;
      }
      res.writeHead(answer.statusCode ?? 502, back);
      answer.pipe(res);
      answer.once('end', () =>
        log.info({ ...fields, code: answer.statusCode, path: target.rest }, 'export request answered'),
      );
    },
  );
  upstream.on('error', (err) => {
    log.info(fields, `export request to node ${where.nodeName} failed: ${err.message}`);
    plain(res, 503, `the export request to node ${where.nodeName} failed: ${err.message}\n`);
  });
  res.once('close', () => {
    if (!res.writableFinished) upstream.destroy(new Error('the client went away'));
  });
  upstream.end();
}
