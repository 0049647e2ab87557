/**
 * `virtkit vmexport create|download|delete NAME [--vm=VM|--snapshot=SNAP|--pvc=PVC] [--ttl 2h]
 * [--volume V] [--output FILE] [--format gzip|raw] [--keep-vme|--delete-vme] [--insecure]
 * [--manifest [--include-secret] [--manifest-output-format yaml|json]]`: virtctl's vmexport.
 *
 * - create makes the VirtualMachineExport; delete deletes it.
 * - download (creating the export first when a source flag is given) waits for phase Ready
 *   (--wait-secs), reads the token from the Secret in status.tokenSecretRef, and downloads the
 *   volume's gzip (or --format raw) URL of status.links.external with the token in the
 *   `x-kubevirt-export-token` header, checking the server against the link's `cert` (unless
 *   --insecure). The file is written 0600 beside --output and renamed into place only when the
 *   whole body came: its length matches Content-Length, and a gzip stream decodes to its end;
 *   otherwise it is removed and the command fails. An export it created is deleted afterwards
 *   unless --keep-vme; one it found is kept unless --delete-vme.
 * - download --manifest prints the VM's manifests for re-import (--include-secret: with the
 *   header Secret first) to stdout, or to --output.
 * - --port-forward (virtctl's, for clusters where nothing routes to the export's Service): once
 *   the export is Ready, a local port (--local-port, 0: any free one) on 127.0.0.1 is forwarded
 *   through the API server's `pods/portforward` to the export Service's pod, and the internal
 *   link is used with its host replaced by that port. --service-url HOST[:PORT] takes the
 *   internal link with its host replaced by that one (a NodePort, an Ingress). Either way the
 *   server is still checked against the internal link's CA, under the name the link gives
 *   (virtctl skips the check with --port-forward; --insecure does that here).
 * - --retry N tries a download N more times when the server answers with another status than
 *   200 (virtctl's); --readiness-timeout (or --wait-secs) bounds the wait for Ready.
 *
 * Exit codes: 0 done, 1 a failure (the reason is printed), 2 usage.
 */
import * as fs from 'fs';
import * as https from 'https';
import type { IncomingMessage } from 'http';
import * as tls from 'tls';
import { createGunzip } from 'zlib';
import type { Command } from 'commander';
import { TOKEN_HEADER, TOKEN_KEY } from '../../api/export/exporter-pod';
import type { VirtualMachineExport } from '../../api/export/v1';
import type { KubeClient } from '../../kube/client';
import { openPodPortForward, PortForwardFraming } from '../../kube/port-forward';
import { NODES, PODS, SECRETS, SERVICES, VIRTUAL_MACHINE_EXPORTS } from '../../kube/resources';
import { addKubeFlags, connectionOf, type KubeFlags } from '../kube-flags';
import { WebSocketTcpProxy } from '../stream-proxy';
import { refusalMessage, usageExitCodes } from './vm-state';
import {
  downloadTarget,
  exportObject,
  forwardTarget,
  hasLink,
  manifestUrls,
  parseVmExportArgs,
  routeOf,
  serviceSelector,
  servicePortOf,
  VmExportUsageError,
  type ExportEndpoint,
  type LinkRoute,
  type VmExportFlags,
  type VmExportRequest,
} from './vmexport-plan';

const collect = (v: string, all: string[] = []): string[] => [...all, v];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitReady(
  client: KubeClient,
  ns: string,
  name: string,
  ms: number,
  route: LinkRoute,
  say: (l: string) => void,
): Promise<VirtualMachineExport> {
  const until = Date.now() + ms;
  let said = '';
  for (;;) {
    const e = await client.getIfExists<VirtualMachineExport>(VIRTUAL_MACHINE_EXPORTS, ns, name);
    if (!e) throw new Error(`VirtualMachineExport ${ns}/${name} not found`);
    if (e.status?.phase === 'Ready' && hasLink(e, route)) return e;
    // The controller writes the links with Ready: a Ready export without an external link has
    // none to wait for (no `virtkit api` host to name, as on a cluster without an Ingress).
    if (e.status?.phase === 'Ready' && route.via === 'external' && e.status.links?.internal)
      throw new Error(
        `VirtualMachineExport ${ns}/${name} is Ready but has no external link (the cluster names no host for \`virtkit api\`'s export proxy; see docs/export.md): download with --port-forward, or with --service-url HOST:PORT where its Service is reachable`,
      );
    const ready = e.status?.conditions?.find((c) => c.type === 'Ready');
    const why =
      e.status?.phase === 'Ready'
        ? `Ready, without an ${route.via} link yet`
        : `${e.status?.phase ?? 'Pending'}${ready?.reason ? ` (${ready.reason}${ready.message ? `: ${ready.message}` : ''})` : ''}`;
    if (why !== said) say(`waiting for VirtualMachineExport ${ns}/${name} to be Ready: ${why}`);
    said = why;
    if (e.status?.phase === 'Skipped')
      throw new Error(
        `VirtualMachineExport ${ns}/${name} was Skipped: ${ready?.message ?? 'nothing to export'}`,
      );
    if (Date.now() > until)
      throw new Error(
        `VirtualMachineExport ${ns}/${name} was not Ready within ${ms / 1000}s (it is ${why}); raise --readiness-timeout`,
      );
    await sleep(1000);
  }
}

async function exportToken(client: KubeClient, e: VirtualMachineExport): Promise<string> {
  const ns = e.metadata?.namespace ?? '';
  const ref = e.status?.tokenSecretRef;
  if (!ref)
    throw new Error(`VirtualMachineExport ${ns}/${e.metadata?.name} has no status.tokenSecretRef yet`);
  const s = await client.get<{ data?: Record<string, string> }>(SECRETS, ns, ref);
  const b64 = s.data?.[TOKEN_KEY];
  if (!b64) throw new Error(`Secret ${ns}/${ref} has no key ${TOKEN_KEY}`);
  return Buffer.from(b64, 'base64')
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

function request(
  to: ExportEndpoint,
  insecure: boolean,
  token: string,
  accept?: string,
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      to.url,
      {
        headers: { [TOKEN_HEADER]: token, ...(accept ? { Accept: accept } : {}) },
        ...(insecure
          ? { rejectUnauthorized: false }
          : {
              ca: [...tls.rootCertificates, ...(to.cert ? [to.cert] : [])],
              // The link's host was replaced (a port forward, --service-url): the certificate
              // must still name the Service the link names.
              ...(to.servername ? { servername: to.servername } : {}),
            }),
      },
      resolve,
    );
    req.on('error', reject);
  });
}

async function bodyText(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Streams the volume into `output` (0600, renamed into place once complete); returns the bytes written. */
export async function downloadTo(res: IncomingMessage, output: string, gzip: boolean): Promise<number> {
  const part = `${output}.part`;
  fs.rmSync(part, { force: true });
  const fd = fs.openSync(part, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
  const out = fs.createWriteStream('', { fd });
  let written = 0;
  // A gzip body is decoded alongside (and dropped): a cut-off stream fails to decode to its end.
  const check = gzip ? createGunzip() : undefined;
  check?.resume();
  const checked = check
    ? new Promise<void>((ok, fail) => (check.once('end', ok), check.once('error', fail)))
    : Promise.resolve();
  try {
    await new Promise<void>((ok, fail) => {
      res.on('data', (c: Buffer) => {
        written += c.length;
        check?.write(c);
        if (!out.write(c)) {
          res.pause();
          out.once('drain', () => res.resume());
        }
      });
      res.once('end', () => {
        check?.end();
        out.end(ok);
      });
      res.once('aborted', () =>
        fail(new Error('the server closed the connection before the end of the download')),
      );
      res.once('error', fail);
      out.once('error', fail);
    });
    const length = res.headers['content-length'];
    if (length !== undefined && Number(length) !== written)
      throw new Error(`the download was truncated: ${written} of ${length} bytes came`);
    await checked.catch((err: Error) => {
      throw new Error(
        `the gzip stream is incomplete or corrupt (${err.message}): the download was truncated`,
      );
    });
    fs.renameSync(part, output);
    fs.chmodSync(output, 0o600);
    return written;
  } catch (err) {
    out.destroy();
    fs.rmSync(part, { force: true });
    throw err;
  }
}

export async function runVmExport(
  client: KubeClient,
  r: VmExportRequest,
  say: (l: string) => void,
): Promise<void> {
  const ns = client.namespace;
  const ref = `${ns}/${r.name}`;
  if (r.verb === 'delete') {
    await client.delete(VIRTUAL_MACHINE_EXPORTS, ns, r.name);
    return say(`VirtualMachineExport '${ref}' deleted succesfully`);
  }
  if (r.source) {
    const existing = await client.getIfExists(VIRTUAL_MACHINE_EXPORTS, ns, r.name);
    if (existing && r.verb === 'create') throw new Error(`VirtualMachineExport '${ref}' already exists`);
    if (!existing) {
      await client.create(VIRTUAL_MACHINE_EXPORTS, ns, exportObject(r, ns));
      say(`VirtualMachineExport '${ref}' created succesfully`);
    }
  }
  if (r.verb === 'create') return;
  let forward: WebSocketTcpProxy | undefined;
  try {
    let route = routeOf(r);
    const e = await waitReady(client, ns, r.name, r.waitMs, route, (l) => console.error(l));
    if (r.portForward) {
      const f = await forwardToExporter(client, e, r.portForward.localPort, (l) => console.error(l));
      forward = f.proxy;
      route = routeOf(r, f.port);
    }
    const token = await exportToken(client, e);
    if (r.manifest) {
      const urls = manifestUrls(e, route);
      const accept = r.manifestFormat === 'yaml' ? 'application/yaml' : 'application/json';
      const parts: string[] = [];
      for (const [what, to] of [
        ...(r.includeSecret ? [['header secret', urls.secret] as const] : []),
        ['VM manifest (is its source a VM?)', urls.all] as const,
      ]) {
        if (!to) throw new Error(`VirtualMachineExport '${ref}' offers no ${what} link`);
        const res = await request(to, r.insecure, token, accept);
        const text = await bodyText(res);
        if (res.statusCode !== 200)
          throw new Error(`getting ${to.url} answered ${res.statusCode}: ${text.trim()}`);
        parts.push(text);
      }
      const out = parts.join(r.manifestFormat === 'yaml' ? '---\n' : '');
      if (r.output) {
        fs.writeFileSync(r.output, out, { mode: 0o600 });
        fs.chmodSync(r.output, 0o600);
      } else process.stdout.write(out);
      return;
    }
    const t = downloadTarget(e, r.volume, r.format, route);
    say(`Downloading file: volume ${t.volume} (${t.format}) to ${r.output}`);
    for (let attempt = 0; ; attempt++) {
      const res = await request(t, r.insecure, token);
      if (res.statusCode === 200) {
        const bytes = await downloadTo(res, r.output!, t.format === 'gzip' || t.format === 'tar.gz');
        say(`Download finished succesfully: ${bytes} bytes written to ${r.output}`);
        break;
      }
      const text = await bodyText(res);
      const why = `downloading ${t.url} answered ${res.statusCode}: ${text.trim().slice(0, 500)}`;
      if (attempt >= r.retries) throw new Error(r.retries ? `${why} (retried ${r.retries} times)` : why);
      say(`${why}; retrying (${attempt + 1} of ${r.retries})`);
      await sleep(2000);
    }
  } finally {
    forward?.close();
    if (r.deleteAfter && !r.keep) {
      await client.delete(VIRTUAL_MACHINE_EXPORTS, ns, r.name).catch(() => undefined);
      say(`VirtualMachineExport '${ref}' deleted succesfully`);
    }
  }
}

/**
 * Why a forward cannot work when the pod's Node runs no kubelet (local mode's nodes publish
 * kubelet port 0): the API server reaches pods/portforward through the kubelet. Empty when the
 * Node cannot be read or has one.
 */
async function noKubeletHint(
  client: KubeClient,
  pods: readonly { metadata?: { name?: string }; spec?: { nodeName?: string } }[],
  pod: string,
): Promise<string> {
  const nodeName = pods.find((p) => p.metadata?.name === pod)?.spec?.nodeName;
  if (!nodeName) return '';
  const node = await client
    .getIfExists<{ status?: { daemonEndpoints?: { kubeletEndpoint?: { Port?: number } } } }>(
      NODES,
      undefined,
      nodeName,
    )
    .catch(() => undefined);
  if (!node || (node.status?.daemonEndpoints?.kubeletEndpoint?.Port ?? 0) !== 0) return '';
  return ` (node ${nodeName} runs no kubelet, as local mode's nodes: download through the export's external link, without --port-forward)`;
}

/**
 * A local port forwarded to the export's pod: the Service in status.serviceName, its first
 * ready pod, the Service port of the internal link translated to the pod's port. The first
 * forwarded connection is opened here, so a refusal (no right to `pods/portforward`, a node
 * without a kubelet) fails the command with the server's message before anything is sent.
 */
async function forwardToExporter(
  client: KubeClient,
  e: VirtualMachineExport,
  localPort: number,
  say: (l: string) => void,
): Promise<{ proxy: WebSocketTcpProxy; port: number }> {
  const ns = e.metadata?.namespace ?? client.namespace;
  const svcName = e.status?.serviceName;
  if (!svcName)
    throw new Error(`VirtualMachineExport ${ns}/${e.metadata?.name} has no status.serviceName to forward to`);
  const svc = await client.get<Parameters<typeof forwardTarget>[0]>(SERVICES, ns, svcName);
  const pods = await client.list<Parameters<typeof forwardTarget>[1][number]>(PODS, ns, {
    labelSelector: serviceSelector(svc),
  });
  const someUrl =
    e.status?.links?.internal?.volumes?.[0]?.formats?.[0]?.url ??
    e.status?.links?.internal?.manifests?.[0]?.url;
  const { pod, port } = forwardTarget(svc, pods.items, someUrl ? servicePortOf(someUrl) : 443);
  const what = `the forward to port ${port} of pod ${ns}/${pod}`;
  const dial = (): Promise<import('ws')> => openPodPortForward(client, ns, pod, port);
  let first;
  try {
    first = await dial();
  } catch (err) {
    throw new Error(
      `cannot forward a port to pod ${ns}/${pod}: ${refusalMessage(err)}${await noKubeletHint(client, pods.items, pod)}`,
    );
  }
  const proxy = new WebSocketTcpProxy(
    dial,
    (message) => console.error(`virtkit vmexport: ${message}`),
    what,
    () => new PortForwardFraming(port),
  );
  proxy.prime(first);
  let listening: number;
  try {
    listening = await proxy.listen(localPort, '127.0.0.1');
  } catch (err) {
    proxy.close();
    throw new Error(`cannot listen on 127.0.0.1:${localPort}: ${(err as Error).message}`);
  }
  say(`Forwarding from 127.0.0.1:${listening} -> ${port} of pod ${ns}/${pod}`);
  return { proxy, port: listening };
}

export function register(program: Command): void {
  const cmd = program
    .command('vmexport')
    .description('Export a VM, VM snapshot or PVC (like `virtctl vmexport`): create|download|delete NAME')
    .argument('[verb]', 'create, download or delete')
    .argument('[name]', 'the VirtualMachineExport name')
    .argument('[extra...]')
    .option('--vm <name>', 'export the volumes of this (stopped) VirtualMachine')
    .option('--snapshot <name>', 'export the volumes of this VirtualMachineSnapshot')
    .option('--pvc <name>', 'export this PersistentVolumeClaim')
    .option('--ttl <duration>', 'how long the export lives (default 2h), e.g. 30m')
    .option('--volume <name>', 'the volume to download (when the export has several)')
    .option('--output <file>', 'where to write the download (written 0600)')
    .option('--format <gzip|raw>', 'the format of the download', 'gzip')
    .option('--keep-vme', 'keep an export the download created')
    .option('--delete-vme', 'delete an existing export after the download')
    .option('--insecure', "don't check the server's certificate")
    .option('--manifest', "print the VM's manifests for re-import instead of downloading a volume")
    .option('--include-secret', 'with --manifest: include the header Secret holding the token')
    .option('--manifest-output-format <yaml|json>', 'the manifests format', 'yaml')
    .option(
      '--port-forward',
      "download through a port forward to the export's pod (pods/portforward), where nothing routes to its Service",
    )
    .option('--local-port <port>', 'with --port-forward: the local port (default 0: any free port)')
    .option(
      '--service-url <host[:port]>',
      "download through this host and port (a NodePort, an Ingress) that reaches the export's Service",
    )
    .option(
      '--retry <n>',
      'try a download this many more times when the server answers with an error (default 0)',
    )
    .option(
      '--readiness-timeout <duration>',
      'how long download waits for the export to be Ready (default 2m)',
    )
    .option('--wait-secs <seconds>', 'how long download waits for the export to be Ready, in seconds')
    .option('--labels <key=value>', 'labels of the export create makes', collect)
    .option('--annotations <key=value>', 'annotations of the export create makes', collect);
  addKubeFlags(cmd, { namespace: true });
  usageExitCodes(cmd);
  cmd.action(
    async (
      verb: string | undefined,
      name: string | undefined,
      extra: string[],
      flags: VmExportFlags & KubeFlags,
    ) => {
      let r: VmExportRequest;
      try {
        r = parseVmExportArgs(
          [verb, name, ...extra].filter((a): a is string => a !== undefined),
          flags,
        );
      } catch (err) {
        if (err instanceof VmExportUsageError)
          cmd.error(`virtkit vmexport: ${err.message}`, { exitCode: 2, code: 'virtkit.usage' });
        throw err;
      }
      const { KubeClient } = await import('../../kube/client');
      const client = KubeClient.connect({ ...connectionOf(flags), fieldManager: 'virtkit' });
      try {
        await runVmExport(client, r, (l) => (r.manifest && !r.output ? console.error(l) : console.log(l)));
      } catch (err) {
        console.error(`virtkit vmexport: ${refusalMessage(err)}`);
        process.exitCode = 1;
      } finally {
        client.close();
      }
    },
  );
}
