/**
 * `virtkit api --rotate-certificates` (cluster mode, self-signed certificates): keeps the api's
 * CA and serving certificate in two Secrets of its namespace, renews them on the schedule of
 * ./rotation-plan.ts, writes the CA bundle into the webhook configuration and the APIServices the
 * API server reaches the api through, and hands the serving certificate to the HTTPS server.
 *
 * - The CA Secret (kubernetes.io/tls: `tls.crt`, `tls.key`, and `ca-bundle.crt`, the CAs to
 *   trust) is read only by the api; the serving Secret (`tls.crt`, `tls.key`, `ca.crt` = the
 *   bundle) holds nothing that can sign.
 * - Every replica runs the same level-triggered pass; writes carry the resourceVersion read (a
 *   create fails if the name is taken), so when two replicas renew at once one wins and the other
 *   reads the winner's certificates on its next pass, a second later.
 * - caBundle is written with JSON and merge patches, under this component's field manager, and
 *   only when it differs; the installers (kubectl, ArgoCD, Pulumi) never set it, so none of them
 *   reverts it.
 */
import type { Logger } from 'pino';
import { APISERVICES, VALIDATING_WEBHOOK_CONFIGURATIONS, type KubeClient } from '../../kube';
import type { KeyPair } from './issue';
import { CertificateWriteConflictError, encode } from './tls-secrets';
import { checkDurations, DEFAULT_ROTATION, type RotationDurations, type RotationPlan } from './rotation-plan';
import { rotateCaAndServing } from './ca-rotation';

export interface CertificateRotatorOptions {
  readonly client: KubeClient;
  readonly namespace: string;
  /** The serving certificate's Secret (what the api serves with). */
  readonly secretName: string;
  /** The CA's Secret. */
  readonly caSecretName: string;
  /** The serving certificate's names: the api Service's `<svc>.<ns>.svc[.cluster.local]`. */
  readonly dnsNames: readonly string[];
  /** The ValidatingWebhookConfiguration whose webhooks all call the api. */
  readonly webhookConfiguration: string;
  /** The APIServices served by the api. */
  readonly apiServices: readonly string[];
  readonly durations?: RotationDurations;
  readonly log: Logger;
  /** Called with the serving certificate to use, whenever it is new to this process. */
  readonly onCertificate: (pair: KeyPair) => void;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

export class CertificateRotator {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private served: string | undefined;
  private readonly durations: RotationDurations;

  constructor(private readonly o: CertificateRotatorOptions) {
    this.durations = o.durations ?? DEFAULT_ROTATION;
    checkDurations(this.durations);
  }

  /** One pass: read, renew what is due, write the bundle where it belongs, hand over the certificate. */
  async reconcile(): Promise<RotationPlan> {
    const now = (this.o.now ?? (() => new Date()))();
    const { plan, bundle, serving } = await rotateCaAndServing(
      {
        client: this.o.client,
        namespace: this.o.namespace,
        caSecret: this.o.caSecretName,
        servingSecret: this.o.secretName,
        dnsNames: this.o.dnsNames,
        durations: this.durations,
        log: this.o.log,
        what: { ca: 'the api CA', serving: 'the api serving certificate' },
      },
      now,
    );
    await this.publishBundle(bundle.join(''));
    if (serving && serving.cert !== this.served) {
      this.served = serving.cert;
      this.o.onCertificate(serving);
    }
    return plan;
  }

  /** Reconcile now and then again when due (at least every minute, sooner after a lost race). */
  start(): Promise<RotationPlan> {
    const run = async (): Promise<RotationPlan | undefined> => {
      let next = 60_000;
      try {
        const plan = await this.reconcile();
        next = Math.max(1000, Math.min(next, plan.nextCheck.getTime() - Date.now()));
        return plan;
      } catch (err) {
        next = err instanceof CertificateWriteConflictError ? 1000 : 10_000;
        this.o.log.warn({ err }, 'certificate rotation pass failed; retrying');
        return undefined;
      } finally {
        if (!this.stopped) this.timer = setTimeout(() => void run(), next);
      }
    };
    // The first pass must give the server a certificate: retried until it does.
    return new Promise((resolve, reject) => {
      const first = async (): Promise<void> => {
        for (;;) {
          if (this.stopped) return reject(new Error('the certificate rotator stopped before its first pass'));
          if (this.timer) clearTimeout(this.timer);
          const plan = await run();
          if (plan && this.served) return resolve(plan);
          await new Promise((r) => setTimeout(r, 1000));
        }
      };
      void first();
    });
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** caBundle of every webhook of the configuration and of every APIService, where it differs. */
  private async publishBundle(bundlePem: string): Promise<void> {
    const { client } = this.o;
    const caBundle = encode(bundlePem);
    const config = await client.getIfExists<{
      webhooks?: { name: string; clientConfig?: { caBundle?: string } }[];
    }>(VALIDATING_WEBHOOK_CONFIGURATIONS, undefined, this.o.webhookConfiguration);
    const ops = (config?.webhooks ?? []).flatMap((w, i) =>
      w.clientConfig?.caBundle === caBundle
        ? []
        : [
            { op: 'test', path: `/webhooks/${i}/name`, value: w.name },
            { op: 'add', path: `/webhooks/${i}/clientConfig/caBundle`, value: caBundle },
          ],
    );
    if (ops.length)
      await client.jsonPatch(VALIDATING_WEBHOOK_CONFIGURATIONS, undefined, this.o.webhookConfiguration, ops);
    for (const name of this.o.apiServices) {
      const svc = await client.getIfExists<{ spec?: { caBundle?: string } }>(APISERVICES, undefined, name);
      if (svc && svc.spec?.caBundle !== caBundle)
        await client.mergePatch(APISERVICES, undefined, name, { spec: { caBundle } });
    }
  }
}
