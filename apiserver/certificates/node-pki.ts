/**
 * The node API's certificates in cluster mode, self-signed (`virtkit api --rotate-certificates`):
 * `virtkit api` calls each node's handler over mutual TLS (apiserver/subresources/node-client.ts),
 * as virt-api calls virt-handler. A CA of their own (`virtkit-node-ca`, never the api's serving
 * CA, so a certificate for one purpose never passes for the other), a serving certificate every
 * handler serves with (DNS name `virtkit-handler`, the name the api checks) and the api's client
 * certificate (CN `virtkit-api`, the name the handlers allow), each in a kubernetes.io/tls Secret
 * of the api's namespace with `ca.crt` (the CAs to trust, the previous one kept while valid).
 * Renewed on KubeVirt's schedule (./rotation-plan.ts), by every api replica's level-triggered
 * pass (./ca-rotation.ts, as the api's own serving certificate; ./tls-secrets.ts settles races).
 * The handlers and the api read their Secret through the API (common/tls-secret-source.ts);
 * nothing is mounted.
 */
import type { Logger } from 'pino';
import { SECRETS, type KubeClient } from '../../kube';
import { NODE_API_SERVER_NAME } from '../../common/node-api';
import { factsOf, issueClient } from './issue';
import { checkDurations, clientRenewal, DEFAULT_ROTATION, type RotationDurations } from './rotation-plan';
import { CertificateWriteConflictError, tlsPair, writeTlsSecret, type SecretObject } from './tls-secrets';
import { rotateCaAndServing } from './ca-rotation';

export interface NodePkiSecrets {
  /** The node CA (tls.crt, tls.key, ca-bundle.crt); read only by the api. */
  readonly ca: string;
  /** The handlers' serving certificate (tls.crt, tls.key, ca.crt). */
  readonly handler: string;
  /** The api's client certificate (tls.crt, tls.key, ca.crt). */
  readonly apiClient: string;
}

export interface NodePkiRotatorOptions {
  readonly client: KubeClient;
  readonly namespace: string;
  readonly secrets: NodePkiSecrets;
  /** The common name of the api's client certificate (the handlers' --node-api-allowed-client). */
  readonly clientName: string;
  readonly durations?: RotationDurations;
  readonly log: Logger;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

export class NodePkiRotator {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly durations: RotationDurations;

  constructor(private readonly o: NodePkiRotatorOptions) {
    this.durations = o.durations ?? DEFAULT_ROTATION;
    checkDurations(this.durations);
  }

  /** One pass: renew what is due; returns when to look again. */
  async reconcile(): Promise<Date> {
    const { client, namespace: ns, secrets } = this.o;
    const now = (this.o.now ?? (() => new Date()))();
    const [{ plan, ca, bundle }, clientSecret] = await Promise.all([
      rotateCaAndServing(
        {
          client,
          namespace: ns,
          caSecret: secrets.ca,
          servingSecret: secrets.handler,
          dnsNames: [NODE_API_SERVER_NAME],
          caCommonName: 'virtkit-node-ca',
          durations: this.durations,
          log: this.o.log,
          what: { ca: 'the node API CA', serving: "the handlers' serving certificate" },
        },
        now,
      ),
      client.getIfExists<SecretObject>(SECRETS, ns, secrets.apiClient),
    ]);
    const current = tlsPair(clientSecret);
    const renewal = clientRenewal(now, current ? factsOf(current.cert, ca!.cert) : undefined, this.durations);
    if (renewal.reason) {
      const fresh = issueClient(ca!, now, this.durations.serverMs, this.o.clientName);
      await writeTlsSecret(client, ns, secrets.apiClient, clientSecret, {
        'tls.crt': fresh.cert,
        'tls.key': fresh.key,
        'ca.crt': bundle.join(''),
      });
      this.o.log.info(
        { secret: secrets.apiClient, reason: renewal.reason },
        "renewed the api's node client certificate",
      );
    }
    return new Date(Math.min(plan.nextCheck.getTime(), renewal.nextCheck.getTime()));
  }

  /** Reconcile now and again when due (at least every minute, sooner after a lost race). */
  start(): void {
    const run = async (): Promise<void> => {
      let next = 60_000;
      try {
        const due = await this.reconcile();
        next = Math.max(1000, Math.min(next, due.getTime() - Date.now()));
      } catch (err) {
        next = err instanceof CertificateWriteConflictError ? 1000 : 10_000;
        this.o.log.warn({ err }, 'node API certificate pass failed; retrying');
      } finally {
        if (!this.stopped) this.timer = setTimeout(() => void run(), next);
      }
    };
    void run();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }
}
