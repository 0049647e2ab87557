/**
 * The request-header configuration kept current from the ConfigMap
 * kube-system/extension-apiserver-authentication, which kube-apiserver writes (its front-proxy CA,
 * allowed names and header names). Read at start and again every minute (a few seconds apart
 * until the first good read), so a rotated front-proxy CA is picked up without a restart.
 * Until a good read, subresource requests are refused (the router says why); admission does
 * not depend on it. The api component's identity may read that one ConfigMap (the built-in Role
 * extension-apiserver-authentication-reader).
 */
import type { Logger } from '../../common/log';
import { errorMessage, type KubeClient } from '../../kube';
import { CONFIG_MAPS } from '../../kube/resources';
import {
  AUTHENTICATION_CONFIGMAP_NAME,
  AUTHENTICATION_CONFIGMAP_NAMESPACE,
  requestHeaderConfigFromConfigMap,
  type RequestHeaderConfig,
} from './request-header';

export interface RequestHeaderSourceOptions {
  /** @default 60000 */
  readonly refreshMs?: number;
  /** Until the first good read. @default 2000 */
  readonly retryMs?: number;
}

export class RequestHeaderSource {
  private config: RequestHeaderConfig | undefined;
  private lastProblem: string | undefined = 'not read yet';
  private lastKey = '';
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly client: KubeClient,
    private readonly log: Logger,
    private readonly o: RequestHeaderSourceOptions = {},
  ) {}

  /** The configuration in force, or undefined before the first good read. */
  current(): RequestHeaderConfig | undefined {
    return this.config;
  }

  /** Why there is no configuration (undefined once there is one). */
  problem(): string | undefined {
    return this.config ? undefined : this.lastProblem;
  }

  /** Read once now (a failure is logged, not thrown), then keep reading in the background. */
  async start(): Promise<void> {
    await this.refresh();
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.stopped) return;
    const delay = this.config ? (this.o.refreshMs ?? 60_000) : (this.o.retryMs ?? 2_000);
    this.timer = setTimeout(() => void this.refresh().then(() => this.schedule()), delay);
    this.timer.unref();
  }

  private async refresh(): Promise<void> {
    const where = `${AUTHENTICATION_CONFIGMAP_NAMESPACE}/${AUTHENTICATION_CONFIGMAP_NAME}`;
    try {
      const cm = await this.client.get(
        CONFIG_MAPS,
        AUTHENTICATION_CONFIGMAP_NAMESPACE,
        AUTHENTICATION_CONFIGMAP_NAME,
      );
      const config = requestHeaderConfigFromConfigMap(cm);
      const key = JSON.stringify({
        cas: config.clientCas.map((c) => c.fingerprint256),
        names: config.allowedNames,
        headers: [config.usernameHeaders, config.uidHeaders, config.groupHeaders, config.extraHeaderPrefixes],
      });
      if (key !== this.lastKey)
        this.log.info(
          { allowedNames: config.allowedNames, usernameHeaders: config.usernameHeaders },
          `request-header authentication configured from the ConfigMap ${where}`,
        );
      this.lastKey = key;
      this.config = config;
    } catch (err) {
      const problem = `cannot read the request-header configuration from the ConfigMap ${where}: ${errorMessage(err)}`;
      // Keep the last good configuration through a passing failure; say so once per new problem.
      if (problem !== this.lastProblem) this.log.warn(problem);
      this.lastProblem = problem;
    }
  }
}
