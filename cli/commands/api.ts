/**
 * `virtkit api`: the API server extension (KubeVirt's virt-api): validating admission for every
 * virtkit kind and the aggregated API subresources.kubevirt.io/v1 (start, stop, version...).
 * Local mode starts it and registers its webhook configuration and its APIService; in a
 * cluster it runs as a Deployment behind a Service. Runs until SIGTERM or SIGINT.
 */
import type { Command } from 'commander';
import { RequestHeaderSource } from '../../apiserver/subresources/request-header-source';
import { startApiServer } from '../../apiserver/server';
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

interface ApiFlags extends LogFlags, KubeFlags {
  tlsCertFile: string;
  tlsPrivateKeyFile: string;
  port: string;
  bindAddress: string;
}

export function register(program: Command): void {
  const cmd = program
    .command('api')
    .description(
      'Serve validating admission for the virtkit kinds and the subresources.kubevirt.io API over HTTPS (the role of virt-api).',
    )
    .requiredOption('--tls-cert-file <file>', 'serving certificate (PEM)')
    .requiredOption('--tls-private-key-file <file>', 'its private key (PEM)')
    .option('--port <port>', 'HTTPS port', '8443')
    .option('--bind-address <addr>', 'address to listen on', '0.0.0.0');
  addLogFlags(addKubeFlags(cmd)).action(async (flags: ApiFlags) => {
    const log = await componentLogger('virtkit-api', flags);
    const port = Number(flags.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      log.fatal(`--port ${flags.port}: not a TCP port; give a whole number from 0 to 65535`);
      process.exit(1);
    }
    const client = await startOrExit(log, async () =>
      KubeClient.connect({ ...connectionOf(flags), fieldManager: 'virtkit-api' }),
    );
    // The feature gates come from the cluster's KubeVirt object, watched.
    const gates = await startOrExit(log, async () => {
      const source = new FeatureGateSource(client, log);
      await source.start();
      return source;
    });
    // Who may call the subresource API: the API server's front proxy, as its ConfigMap says.
    const requestHeader = new RequestHeaderSource(client, log);
    await requestHeader.start();
    const server = await startOrExit(log, () =>
      startApiServer({
        featureGates: () => gates.current(),
        certFile: flags.tlsCertFile,
        keyFile: flags.tlsPrivateKeyFile,
        port,
        host: flags.bindAddress,
        log,
        subresources: {
          context: { client, log },
          requestHeader: () => requestHeader.current(),
          requestHeaderProblem: () => requestHeader.problem(),
        },
      }),
    );
    log.info({ port: server.port }, 'serving admission and subresources.kubevirt.io');
    await new Promise<void>((resolve) => {
      process.once('SIGTERM', () => resolve());
      process.once('SIGINT', () => resolve());
    });
    await server.close();
    requestHeader.stop();
    await gates.stop();
    client.close();
  });
}
