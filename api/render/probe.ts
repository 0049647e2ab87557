/** Liveness and readiness probes of the guest. */
import type { Probe as ProbeSpec } from '../kubevirt/v1';
import { compact } from './compact';

/** Timing of a probe. */
export interface ProbeOptions {
  /**
   * Seconds after start before the first check.
   * @default 0
   * @example 120
   */
  readonly initialDelaySeconds?: number;
  /**
   * Seconds between checks.
   * @default 10
   */
  readonly periodSeconds?: number;
  /**
   * Seconds before a check times out.
   * @default 1
   */
  readonly timeoutSeconds?: number;
  /**
   * Consecutive failures that make the probe fail.
   * @default 3
   */
  readonly failureThreshold?: number;
  /**
   * Consecutive successes that make a failing probe pass again.
   * @default 1
   */
  readonly successThreshold?: number;
}

/** Options of an HTTP probe. */
export interface HttpProbeOptions extends ProbeOptions {
  /**
   * Path to request.
   * @default '/'
   * @example '/healthz'
   */
  readonly path?: string;
  /**
   * HTTP or HTTPS.
   * @default 'HTTP'
   */
  readonly scheme?: string;
}

/** A health check of the guest, built with the static factories. */
export class Probe {
  /**
   * HTTP GET against the guest.
   * @example Probe.httpGet(8080, { path: '/healthz' })
   */
  public static httpGet(port: number, options: HttpProbeOptions = {}): Probe {
    const { path, scheme, ...timing } = options;
    return new Probe({
      httpGet: compact({ port, path, scheme: scheme as 'HTTP' | 'HTTPS' | undefined }),
      ...timing,
    });
  }

  /** A TCP connection to the guest. */
  public static tcpSocket(port: number, options: ProbeOptions = {}): Probe {
    return new Probe({ tcpSocket: { port }, ...options });
  }

  /** A command run in the guest through the guest agent. */
  public static exec(command: string[], options: ProbeOptions = {}): Probe {
    return new Probe({ exec: { command: [...command] }, ...options });
  }

  /** Whether the QEMU guest agent answers. */
  public static guestAgentPing(options: ProbeOptions = {}): Probe {
    return new Probe({ guestAgentPing: {}, ...options });
  }

  private constructor(private readonly spec: ProbeSpec) {}

  /**
   * The api/ probe.
   * @internal
   */
  public _render(): ProbeSpec {
    return compact(JSON.parse(JSON.stringify(this.spec)) as ProbeSpec);
  }
}
