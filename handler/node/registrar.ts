/**
 * Registers this host's Node and keeps it alive, as kubelet does: the Node (created when
 * missing, labels kept up to date), its status with a Ready heartbeat, and a Lease in
 * kube-node-lease renewed every 10 s. Start-up taints are removed once Ready is posted.
 */
import type { Logger } from '../../common/log';
import {
  HEARTBEAT_INTERVAL_MS,
  leaseObject,
  nodeMetadataApply,
  nodeObject,
  nodeStatusPatch,
  taintsWithoutStartup,
  type HostFacts,
  type Taint,
} from './node-object';
import { HANDLER_ENDPOINT_ANNOTATION } from '../../common/node-api';
import { errorMessage, isAlreadyExists, isNotFound, LEASES, NODES, type KubeClient } from '../../kube';
import { metav1Time } from '../../api/k8s/meta';

interface NodeJson {
  metadata?: { uid?: string; labels?: Record<string, string> };
  spec?: { taints?: Taint[] };
  status?: { conditions?: { type: string; status: string; lastTransitionTime?: string }[] };
}

export class NodeRegistrar {
  private timer?: NodeJS.Timeout;
  private nodeUid?: string;

  constructor(
    private readonly client: KubeClient,
    private readonly facts: HostFacts,
    private readonly log: Logger,
    /** The node API's https://address:port, published in the annotation virtkit.io/handler-endpoint. */
    private readonly endpoint?: string,
    /** The node's Kube-OVN tunnel endpoint `<IPv4>:<port>`, published in virtkit.io/kube-ovn-tunnel. */
    private readonly kubeOvnTunnel?: string,
  ) {}

  /** Registers the node and posts the first heartbeat; throws when the API refuses. */
  async register(): Promise<void> {
    await this.ensureNode();
    await this.heartbeat();
    this.timer = setInterval(() => {
      this.heartbeat().catch((e: unknown) =>
        this.log.warn({ kind: 'Node', name: this.facts.nodeName }, `heartbeat failed: ${errorMessage(e)}`),
      );
    }, HEARTBEAT_INTERVAL_MS);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async ensureNode(): Promise<void> {
    let created = false;
    try {
      const node = await this.client.create<NodeJson>(NODES, undefined, nodeObject(this.facts));
      this.nodeUid = node.metadata?.uid;
      created = true;
      this.log.info({ kind: 'Node', name: this.facts.nodeName }, 'registered');
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
    }
    // Server-side apply of what the handler owns: its labels (never anyone else's) and the
    // endpoint annotation, which thereby goes away when a handler without a node API applies.
    const node = await this.client.apply<NodeJson>(
      NODES,
      undefined,
      this.facts.nodeName,
      nodeMetadataApply(this.facts, this.endpoint, this.kubeOvnTunnel),
    );
    this.nodeUid = node.metadata?.uid;
    if (!created)
      this.log.info({ kind: 'Node', name: this.facts.nodeName }, 'already registered, labels refreshed');
    if (this.endpoint)
      this.log.info(
        { kind: 'Node', name: this.facts.nodeName },
        `node API published at ${this.endpoint} (annotation ${HANDLER_ENDPOINT_ANNOTATION})`,
      );
  }

  private async heartbeat(): Promise<void> {
    const name = this.facts.nodeName;
    let node: NodeJson;
    try {
      node = await this.client.get<NodeJson>(NODES, undefined, name);
    } catch (e) {
      if (!isNotFound(e)) throw e;
      // Someone deleted our node: register it again.
      await this.ensureNode();
      node = await this.client.get<NodeJson>(NODES, undefined, name);
    }
    this.nodeUid = node.metadata?.uid;
    const now = new Date();
    await this.client.strategicPatch(
      NODES,
      undefined,
      name,
      nodeStatusPatch(this.facts, metav1Time(now), node.status?.conditions),
      { subresource: 'status' },
    );
    const taints = taintsWithoutStartup(node.spec?.taints);
    if (taints) {
      await this.client.mergePatch(NODES, undefined, name, { spec: { taints } });
      this.log.info({ kind: 'Node', name }, 'removed start-up taints');
    }
    await this.renewLease(now);
  }

  private async renewLease(now: Date): Promise<void> {
    const lease = leaseObject(this.facts.nodeName, this.nodeUid, now);
    await this.client.apply(LEASES, 'kube-node-lease', this.facts.nodeName, lease);
  }
}
