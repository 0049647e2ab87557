/**
 * A kubernetes.io/tls Secret read through the API by name, again every `intervalMs` (I/O): how
 * cluster mode's components get the node API's certificates (apiserver/certificates/node-pki.ts
 * makes them, or cert-manager does) without mounting them, so a renewal reaches them within a
 * minute and a Secret that does not exist yet is simply waited for.
 */
import type { Logger } from 'pino';
import { errorMessage, SECRETS, type KubeClient } from '../kube';

export interface TlsCredentials {
  /** PEM: the certificate (chain), its key, and the CAs to trust (`ca.crt`). */
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca: Buffer;
}

interface SecretJson {
  data?: Record<string, string>;
}

/** The credentials of a Secret's data (pure); undefined until all three keys are there. */
export function tlsCredentialsOf(
  data: Readonly<Record<string, string>> | undefined,
): TlsCredentials | undefined {
  const get = (k: string): Buffer | undefined => (data?.[k] ? Buffer.from(data[k], 'base64') : undefined);
  const cert = get('tls.crt');
  const key = get('tls.key');
  const ca = get('ca.crt');
  return cert?.length && key?.length && ca?.length ? { cert, key, ca } : undefined;
}

export interface TlsSecretSourceOptions {
  readonly client: KubeClient;
  readonly namespace: string;
  readonly name: string;
  readonly log: Logger;
  /** @default 30 s */
  readonly intervalMs?: number;
  /** Called with new credentials (first ones included). */
  readonly onChange?: (c: TlsCredentials) => void;
}

export class TlsSecretSource {
  private latest: TlsCredentials | undefined;
  private timer: NodeJS.Timeout | undefined;
  private warned = '';

  constructor(private readonly o: TlsSecretSourceOptions) {}

  current(): TlsCredentials | undefined {
    return this.latest;
  }

  /** Reads once now (a missing Secret is no error), then every interval. */
  async start(): Promise<void> {
    await this.read();
    const again = (): void => {
      // Until the Secret has credentials (the api's first pass may still be writing it, or
      // another replica's), look again soon: verbs through the node API wait on it.
      const every = this.o.intervalMs ?? 30_000;
      this.timer = setTimeout(
        () => void this.read().finally(again),
        this.latest ? every : Math.min(every, 2000),
      );
      this.timer.unref?.();
    };
    again();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async read(): Promise<void> {
    const where = { kind: 'Secret', namespace: this.o.namespace, name: this.o.name };
    try {
      const s = await this.o.client.getIfExists<SecretJson>(SECRETS, this.o.namespace, this.o.name);
      const c = tlsCredentialsOf(s?.data);
      if (!c) {
        const why = s ? 'has no tls.crt, tls.key and ca.crt yet' : 'does not exist yet';
        if (this.warned !== why) this.o.log.info(where, `the node API's certificate Secret ${why}`);
        this.warned = why;
        return;
      }
      this.warned = '';
      const l = this.latest;
      if (l && l.cert.equals(c.cert) && l.key.equals(c.key) && l.ca.equals(c.ca)) return;
      this.latest = c;
      this.o.log.info(where, "the node API's certificates were read");
      this.o.onChange?.(c);
    } catch (e) {
      this.o.log.warn(where, `reading the node API's certificates: ${errorMessage(e)}`);
    }
  }
}
