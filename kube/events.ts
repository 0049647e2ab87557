/**
 * Kubernetes Events for transitions a user cares about (VMI created or deleted, pod created,
 * VMI failed...), shown by `kubectl describe` and `kubectl get events`. Recording never fails
 * a reconcile: a rejected Event is logged and dropped.
 */
import { randomBytes } from 'crypto';
import type { Logger } from '../common/log';
import type { KubeClient } from './client';
import { EVENTS } from './resources';

export interface EventTarget {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; uid?: string; resourceVersion?: string };
}

/** What a pure reconcile function asks to be recorded. */
export interface EventSpec {
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
}

export class EventRecorder {
  constructor(
    private readonly client: KubeClient,
    private readonly log: Logger,
    /** The reporting component, as `kubectl get events` shows it (virtkit-controller, virtkit-handler). */
    private readonly component: string,
    private readonly host = 'virtkit',
  ) {}

  async record(target: EventTarget, ev: EventSpec): Promise<void> {
    const ns = target.metadata?.namespace ?? 'default';
    const name = target.metadata?.name ?? 'unknown';
    const now = new Date().toISOString();
    const body = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${name}.${randomBytes(8).toString('hex')}`, namespace: ns },
      involvedObject: {
        apiVersion: target.apiVersion,
        kind: target.kind,
        name,
        namespace: ns,
        uid: target.metadata?.uid,
        resourceVersion: target.metadata?.resourceVersion,
      },
      reason: ev.reason,
      message: ev.message,
      type: ev.type,
      source: { component: this.component, host: this.host },
      reportingComponent: this.component,
      reportingInstance: this.host,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
    try {
      await this.client.create(EVENTS, ns, body);
    } catch (err) {
      this.log.warn(
        { kind: target.kind, namespace: ns, name, uid: target.metadata?.uid, reason: ev.reason },
        `event not recorded: ${(err as Error).message}`,
      );
    }
  }
}
