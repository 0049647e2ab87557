/**
 * `virtkit api`: the API server extension (KubeVirt's virt-api): validating admission for every
 * virtkit kind and the aggregated API subresources.kubevirt.io/v1 (start, stop, version...).
 * Local mode starts it and registers its webhook configuration and its APIService; in a
 * cluster it runs as a Deployment behind a Service. Runs until SIGTERM or SIGINT.
 */
import { kubeOvnLookupOf } from '../../apiserver/admission/kube-ovn-lookup';
import type { Command } from 'commander';
import * as fs from 'fs';
import type { NodeClientCredentials } from '../../apiserver/subresources/types';
import { RequestHeaderSource } from '../../apiserver/subresources/request-header-source';
import { startApiServer, type RunningApiServer, type ServingPair } from '../../apiserver/server';
import { CertificateRotator } from '../../apiserver/certificates/rotator';
import {
  API_CA_SECRET,
  API_CERTS_SECRET,
  HANDLER_NODE_API_SECRET,
  NODE_CA_SECRET,
} from '../../api/install/names';
import { NodePkiRotator } from '../../apiserver/certificates/node-pki';
import { TlsSecretSource } from '../../common/tls-secret-source';
import { NODE_API_CLIENT_NAME } from '../../common/node-api';
import { API_SERVICE_NAME, APISERVICE_NAME, UPLOAD_APISERVICE_NAME } from '../../api/install/api-services';
import { WEBHOOK_CONFIGURATION_NAME } from '../../api/install/webhook-configuration';
import { isAllowed } from '../../kube/access-review';
import { loadOrCreateTokenKey } from '../../apiserver/upload/token-key';
import { FeatureGateSource, KubeClient } from '../../kube';
import {
  addKubeFlags,
  addLogFlags,
  componentLogger,
  connectionOf,
  startOrExit,
  type KubeFlags,
  type LogFlags,
} from '../kube-flags';

export interface ApiFlags extends LogFlags, KubeFlags {
  tlsCertFile?: string;
  tlsPrivateKeyFile?: string;
  rotateCertificates?: boolean;
  certificatesNamespace?: string;
  serviceName: string;
  certificatesSecret: string;
  caSecret: string;
  port: string;
  bindAddress: string;
  nodeClientCertFile?: string;
  nodeClientKeyFile?: string;
  nodeCaFile?: string;
  nodeClientSecret?: string;
  nodeCaSecret: string;
  nodeServingSecret: string;
  uploadTokenKeyFile?: string;
}

/** Where the serving certificate comes from; a message naming the flags when they do not fit together. */
export function servingSource(
  flags: Pick<ApiFlags, 'tlsCertFile' | 'tlsPrivateKeyFile' | 'rotateCertificates'>,
): 'files' | 'rotate' {
  const files = [flags.tlsCertFile, flags.tlsPrivateKeyFile].filter(Boolean).length;
  if (flags.rotateCertificates) {
    if (files)
      throw new Error(
        '--rotate-certificates makes and renews the serving certificate itself: drop --tls-cert-file and --tls-private-key-file',
      );
    return 'rotate';
  }
  if (files !== 2)
    throw new Error(
      'give the serving certificate: --tls-cert-file and --tls-private-key-file together, or --rotate-certificates',
    );
  return 'files';
}

/** The namespace of the certificate Secrets: the flag, else $POD_NAMESPACE, else the pod's service account's. */
export function certificatesNamespace(
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  serviceAccountFile = '/var/run/secrets/kubernetes.io/serviceaccount/namespace',
): string {
  const ns =
    flag ??
    env.POD_NAMESPACE ??
    (fs.existsSync(serviceAccountFile) ? fs.readFileSync(serviceAccountFile, 'utf8').trim() : undefined);
  if (!ns)
    throw new Error(
      '--rotate-certificates: no namespace for the certificate Secrets; give --certificates-namespace (or run in a pod)',
    );
  return ns;
}

/**
 * The api's credentials towards the node handlers, read from the three files (all or none).
 * Throws a message naming the flag.
 */
export function nodeCredentials(flags: ApiFlags): NodeClientCredentials | undefined {
  const files = {
    '--node-client-cert-file': flags.nodeClientCertFile,
    '--node-client-key-file': flags.nodeClientKeyFile,
    '--node-ca-file': flags.nodeCaFile,
  };
  const given = Object.values(files);
  if (given.every((f) => f === undefined)) return undefined;
  if (given.some((f) => f === undefined))
    throw new Error(
      '--node-client-cert-file, --node-client-key-file and --node-ca-file go together: reaching the node handlers needs the client certificate, its key and the CA of the handlers',
    );
  const read = (flag: keyof typeof files): Buffer => {
    try {
      return fs.readFileSync(files[flag]!);
    } catch (err) {
      throw new Error(`${flag} ${files[flag]}: ${(err as Error).message}`);
    }
  };
  return {
    cert: read('--node-client-cert-file'),
    key: read('--node-client-key-file'),
    ca: read('--node-ca-file'),
  };
}

export function register(program: Command): void {
  const cmd = program
    .command('api')
    .description(
      'Serve validating admission for the virtkit kinds and the subresources.kubevirt.io API over HTTPS (the role of virt-api).',
    )
    .option('--tls-cert-file <file>', 'serving certificate (PEM; read again when it changes)')
    .option('--tls-private-key-file <file>', 'its private key (PEM)')
    .option(
      '--rotate-certificates',
      'instead of the files: make a self-signed CA and serving certificate, keep them in Secrets, renew them before they expire (CA 168h, renewed 33.6h before; serving 24h, 4.8h before) and write the CA into the webhook configuration and the APIServices',
    )
    .option(
      '--certificates-namespace <ns>',
      "namespace of the certificate Secrets (default: $POD_NAMESPACE, else the pod's service account's)",
    )
    .option('--service-name <name>', 'the Service the API server reaches the api through', API_SERVICE_NAME)
    .option('--certificates-secret <name>', 'Secret of the serving certificate', API_CERTS_SECRET)
    .option('--ca-secret <name>', 'Secret of the CA that signs it', API_CA_SECRET)
    .option('--port <port>', 'HTTPS port', '8443')
    .option('--bind-address <addr>', 'address to listen on', '0.0.0.0')
    .option(
      '--node-client-cert-file <file>',
      "client certificate for the node handlers' API (PEM); without it, verbs that need a node answer 503",
    )
    .option('--node-client-key-file <file>', 'its private key (PEM)')
    .option('--node-ca-file <file>', "CA the handlers' serving certificates must chain to (PEM)")
    .option(
      '--node-client-secret <name>',
      "instead of the files: the kubernetes.io/tls Secret (tls.crt, tls.key, ca.crt) of the client certificate, read through the API and again when renewed; with --rotate-certificates the api also makes and renews it, the node API's CA and the handlers' serving certificate",
    )
    .option('--node-ca-secret <name>', "with --rotate-certificates: the node API CA's Secret", NODE_CA_SECRET)
    .option(
      '--node-serving-secret <name>',
      "with --rotate-certificates: the Secret of the handlers' serving certificate",
      HANDLER_NODE_API_SECRET,
    )
    .option(
      '--upload-token-key-file <file>',
      'key that signs upload tokens (0600; made when missing); without it a key is made in memory and tokens do not outlive the process',
    );
  addLogFlags(addKubeFlags(cmd)).action(async (flags: ApiFlags) => {
    const log = await componentLogger('virtkit-api', flags);
    const port = Number(flags.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      log.fatal(`--port ${flags.port}: not a TCP port; give a whole number from 0 to 65535`);
      process.exit(1);
    }
    let node: NodeClientCredentials | undefined;
    let nodeNamespace = '';
    try {
      node = nodeCredentials(flags);
      if (flags.nodeClientSecret !== undefined) {
        if (node)
          throw new Error(
            '--node-client-secret and the --node-client-*-file / --node-ca-file flags exclude each other: give the Secret or the files',
          );
        nodeNamespace = certificatesNamespace(flags.certificatesNamespace);
      }
    } catch (err) {
      log.fatal((err as Error).message);
      process.exit(2);
    }
    let tokenKey: Buffer;
    try {
      tokenKey = loadOrCreateTokenKey(flags.uploadTokenKeyFile);
    } catch (err) {
      log.fatal((err as Error).message);
      process.exit(2);
    }
    let source: 'files' | 'rotate';
    let namespace = '';
    try {
      source = servingSource(flags);
      if (source === 'rotate') namespace = certificatesNamespace(flags.certificatesNamespace);
    } catch (err) {
      log.fatal((err as Error).message);
      process.exit(2);
    }
    if (!flags.uploadTokenKeyFile)
      log.warn('no --upload-token-key-file: upload tokens are signed with a key made in memory');
    const client = await startOrExit(log, async () =>
      KubeClient.connect({ ...connectionOf(flags), fieldManager: 'virtkit-api' }),
    );
    // The feature gates come from the cluster's KubeVirt object, watched.
    const gates = await startOrExit(log, async () => {
      const source = new FeatureGateSource(client, log);
      await source.start();
      return source;
    });
    // The serving certificate: the files, or the rotator's first pass (which makes it when missing).
    let rotator: CertificateRotator | undefined;
    let latest: ServingPair | undefined;
    // The server, once it listens; renewals before that only change `latest`.
    const serving: { server?: RunningApiServer } = {};
    if (source === 'rotate') {
      const r = new CertificateRotator({
        client,
        namespace,
        secretName: flags.certificatesSecret,
        caSecretName: flags.caSecret,
        dnsNames: [
          `${flags.serviceName}.${namespace}.svc`,
          `${flags.serviceName}.${namespace}.svc.cluster.local`,
        ],
        webhookConfiguration: WEBHOOK_CONFIGURATION_NAME,
        apiServices: [APISERVICE_NAME, UPLOAD_APISERVICE_NAME],
        log,
        onCertificate: (pair) => {
          latest = pair;
          serving.server?.setCertificate(pair);
        },
      });
      rotator = r;
      await startOrExit(log, () => r.start());
    }
    // The node API's certificates: made and renewed here in self-signed mode, read from their
    // Secret in both modes (cert-manager makes it otherwise).
    let nodePki: NodePkiRotator | undefined;
    let nodeClient: TlsSecretSource | undefined;
    if (flags.nodeClientSecret !== undefined) {
      if (source === 'rotate') {
        nodePki = new NodePkiRotator({
          client,
          namespace: nodeNamespace,
          secrets: {
            ca: flags.nodeCaSecret,
            handler: flags.nodeServingSecret,
            apiClient: flags.nodeClientSecret,
          },
          clientName: NODE_API_CLIENT_NAME,
          log,
        });
        nodePki.start();
      }
      const s = new TlsSecretSource({ client, namespace: nodeNamespace, name: flags.nodeClientSecret, log });
      nodeClient = s;
      await startOrExit(log, () => s.start());
    }
    // Who may call the subresource API: the API server's front proxy, as its ConfigMap says.
    const requestHeader = new RequestHeaderSource(client, log);
    await requestHeader.start();
    const server = await startOrExit(log, () =>
      startApiServer({
        featureGates: () => gates.current(),
        accessReview: (subject, attributes) => isAllowed(client, subject, attributes),
        kubeOvnLookup: kubeOvnLookupOf(client),
        tls: latest ? { pair: latest } : { certFile: flags.tlsCertFile!, keyFile: flags.tlsPrivateKeyFile! },
        port,
        host: flags.bindAddress,
        log,
        subresources: {
          context: {
            client,
            log,
            featureGates: () => gates.current(),
            // The files' credentials, or the Secret's as they are now (renewals included).
            get node(): NodeClientCredentials | undefined {
              return nodeClient ? nodeClient.current() : node;
            },
          },
          requestHeader: () => requestHeader.current(),
          requestHeaderProblem: () => requestHeader.problem(),
        },
        upload: { tokenKey },
      }),
    );
    serving.server = server;
    log.info(
      { port: server.port },
      'serving admission, subresources.kubevirt.io, upload.cdi.kubevirt.io and the upload proxy',
    );
    await new Promise<void>((resolve) => {
      process.once('SIGTERM', () => resolve());
      process.once('SIGINT', () => resolve());
    });
    rotator?.stop();
    nodePki?.stop();
    nodeClient?.stop();
    await server.close();
    requestHeader.stop();
    await gates.stop();
    client.close();
  });
}
