/**
 * Keeps this node's Kube-OVN tunnels pointed at every other node (I/O): a Node informer gives
 * the peers' endpoints (their `virtkit.io/kube-ovn-tunnel` annotations); a sync runs when the
 * Nodes change, when a pod's network was set up (`sync()`, awaited before its launcher starts,
 * so a guest never runs on a bridge without its tunnel), and every `resyncMs` (a tunnel an
 * administrator deleted comes back). Syncs never overlap; one asked for during another runs after it.
 */
import type { Logger } from '../../../common/log';
import { Informer, NODES, type KubeClient } from '../../../kube';
import { formatTunnelEndpoint, tunnelPeers, type NodeAnnotations, type TunnelEndpoint } from './tunnel-plan';
import { syncKubeOvnTunnels } from './tunnels';

type NodeObject = NodeAnnotations & { metadata?: { name?: string; namespace?: string } };

export interface KubeOvnTunnelsOptions {
  readonly client: KubeClient;
  readonly nodeName: string;
  readonly stateDir: string;
  /** This node's endpoint (its address and tunnel port), as published on its Node. */
  readonly local: TunnelEndpoint;
  readonly log: Logger;
  /** @default 30000 */
  readonly resyncMs?: number;
}

export class KubeOvnTunnels {
  private readonly nodes: Informer<NodeObject>;
  private running: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private lastErrors = '';

  constructor(private readonly o: KubeOvnTunnelsOptions) {
    this.nodes = new Informer<NodeObject>(
      o.client.listWatch<NodeObject>(NODES),
      {},
      { onError: (m) => o.log.warn({ kind: 'Node' }, `watch: ${m}`) },
    );
    this.nodes.onChange(() => void this.sync());
  }

  async start(): Promise<void> {
    this.nodes.start();
    await this.nodes.waitForSync();
    await this.sync();
    this.timer = setInterval(() => void this.sync(), this.o.resyncMs ?? 30_000);
    this.timer.unref();
  }

  /** Syncs every tunnel now (or right after the sync in progress); resolves when done, never rejects. */
  sync(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.syncOnce();
      } while (this.again);
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async syncOnce(): Promise<void> {
    const peers = tunnelPeers(this.nodes.cache.list(), { nodeName: this.o.nodeName, endpoint: this.o.local });
    const report = await syncKubeOvnTunnels({ stateDir: this.o.stateDir, local: this.o.local, peers });
    if (report.changed.length > 0)
      this.o.log.info(
        { kind: 'Node', name: this.o.nodeName },
        `Kube-OVN tunnel(s) ${report.changed.join(', ')} from ${formatTunnelEndpoint(this.o.local)} to ${peers.map(formatTunnelEndpoint).join(', ') || 'no other node yet'}`,
      );
    const errors = report.errors.map((e) => e.message).join('; ');
    if (errors && errors !== this.lastErrors)
      this.o.log.warn({ kind: 'Node', name: this.o.nodeName }, errors);
    this.lastErrors = errors;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.nodes.stop();
    await this.running;
  }
}
