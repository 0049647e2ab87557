/**
 * `pods/portforward` through the API server over a websocket, as kubectl and client-go do it:
 * one websocket per forwarded connection (`?ports=<port>`, which the API server passes to the
 * pod's kubelet as `port`), subprotocol `v4.channel.k8s.io` (the kubelet's and the container
 * runtime's streaming server speak it). Each binary message starts with its channel: 0 is the
 * connection's data, 1 its error text (for the first and only port); the server's first message
 * on each channel is the port again, two little-endian bytes, before any data. The client sends
 * `[0, data...]`. The version-4 protocol has no half-close: either side ends the connection by
 * closing the websocket.
 *
 * client-node's PortForward speaks the same protocol but neither ends the local connection when
 * the websocket closes nor applies backpressure; common/plain-stream.ts's bridge does both, and
 * this file gives it the framing.
 */
import type WebSocket from 'ws';
import type { MessageFraming } from '../common/plain-stream';
import type { KubeClient } from './client';
import { PODS } from './resources';

export const PORT_FORWARD_PROTOCOL = 'v4.channel.k8s.io';

const DATA_CHANNEL = 0;
const ERROR_CHANNEL = 1;

/**
 * The framing of one forwarded connection (stateful: it drops each channel's port prefix once,
 * and keeps the error channel's text for `problem()`).
 */
export class PortForwardFraming implements MessageFraming {
  private readonly prefixed = new Set<number>();
  private error = '';

  constructor(private readonly port: number) {}

  unwrap(message: Buffer): Buffer | undefined {
    if (message.length < 1) return undefined;
    const channel = message[0]!;
    let payload = message.subarray(1);
    if (channel !== DATA_CHANNEL && channel !== ERROR_CHANNEL) return undefined;
    if (!this.prefixed.has(channel)) {
      // The port prefix may arrive alone or with the first bytes; it is dropped either way.
      if (payload.length < 2) return undefined;
      this.prefixed.add(channel);
      payload = payload.subarray(2);
    }
    if (channel === ERROR_CHANNEL) {
      if (this.error.length < 4096) this.error += payload.toString('utf8');
      return undefined;
    }
    return payload;
  }

  wrap(chunk: Buffer): Buffer {
    return Buffer.concat([Buffer.from([DATA_CHANNEL]), chunk]);
  }

  /** What the error channel said about the forward of the port (kubelet's "error forwarding port ..."), if anything. */
  problem(): string | undefined {
    const text = this.error.trim();
    return text ? `port ${this.port}: ${text}` : undefined;
  }
}

/**
 * Opens the websocket of one forwarded connection to `port` of pod `namespace/name` (RBAC: the
 * `pods/portforward` subresource; the API server reaches the pod through its node's kubelet).
 * Resolves open and paused, like every stream of KubeClient.openStream; refusals are
 * KubeApiErrors with the server's message.
 */
export function openPodPortForward(
  client: KubeClient,
  namespace: string,
  name: string,
  port: number,
): Promise<WebSocket> {
  return client.openStream(PODS, namespace, name, 'portforward', {
    query: { ports: port },
    protocols: [PORT_FORWARD_PROTOCOL],
  });
}
