/**
 * The contract between the subresource API's router (apiserver/subresources/router.ts: front
 * proxy authentication, paths, discovery) and the handlers of its verbs (start, stop, pause,
 * console, ...). The router has already checked that the request came through the API server,
 * which authorized it (each subresource is its own RBAC resource); a handler acts with the
 * api component's own identity.
 */
import type { HttpAnswer } from '../../common/http-json';
import type { Logger } from '../../common/log';
import type { KubeClient } from '../../kube';

/** Who asks, as the API server's front proxy says (X-Remote-User, X-Remote-Group, X-Remote-Extra-*). */
export interface RequestUser {
  readonly name: string;
  /** The user's UID, when the API server sends one (--requestheader-uid-headers). */
  readonly uid?: string;
  readonly groups: readonly string[];
  readonly extra: Readonly<Record<string, readonly string[]>>;
}

export type SubresourceKind = 'virtualmachines' | 'virtualmachineinstances';

export interface SubresourceRequest {
  /** GET, PUT, ... as the client sent it through the API server. */
  readonly method: string;
  readonly namespace: string;
  /** `virtualmachines` also for `namespaces/{ns}/expand-vm-spec`, which takes a VirtualMachine in its body. */
  readonly resource: SubresourceKind;
  /** The object's name; '' for `expand-vm-spec` (no object: the VM comes in the body). */
  readonly name: string;
  /** start, stop, restart, pause, console, portforward, vnc/screenshot, expand-vm-spec... */
  readonly subresource: string;
  /** Path segments after the subresource (portforward/{port}/{protocol}). */
  readonly rest: readonly string[];
  readonly query: URLSearchParams;
  /** The JSON body, parsed; undefined when there is none. */
  readonly body: unknown;
  readonly user: RequestUser;
}

/**
 * A plain answer: `status` and a JSON body (or none, or a raw one such as vnc/screenshot's PNG).
 * Errors are Kubernetes Status objects (`failure(...)` in common/kube-status.ts), as KubeVirt's
 * virt-api answers.
 */
export type SubresourceAnswer = HttpAnswer;

/**
 * The api component's credentials towards the node handlers' API (`virtkit api
 * --node-client-cert-file/--node-client-key-file/--node-ca-file`): its client certificate and
 * key, and the CA the handlers' serving certificates are checked against. PEM.
 */
export interface NodeClientCredentials {
  readonly ca: Buffer;
  readonly cert: Buffer;
  readonly key: Buffer;
}

export interface SubresourceContext {
  /** The api component's client (its own RBAC). */
  readonly client: KubeClient;
  readonly log: Logger;
  /** How to reach the node handlers (./node-client.ts); without it, verbs that need a node answer 503. */
  readonly node?: NodeClientCredentials;
  /** The cluster's enabled feature gates now (the KubeVirt object's); none when left out. */
  readonly featureGates?: () => ReadonlySet<string>;
}

export type SubresourceHandler = (
  req: SubresourceRequest,
  ctx: SubresourceContext,
) => Promise<SubresourceAnswer>;
