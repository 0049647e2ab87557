/**
 * What the subresource API serves: every resource KubeVirt's virt-api publishes in
 * subresources.kubevirt.io/v1 (its discovery document), with the HTTP method of its route (which
 * decides the RBAC verb: GET is `get`, PUT is `update`), whether it is a websocket stream, and
 * how many path segments may follow it (portforward/{port}[/{protocol}]). Pure.
 */
import { SUBRESOURCES_API_VERSION } from '../../kube/resources';
import type { SubresourceKind } from './types';
import { uploadApiGroup } from '../upload/token-api';

export type SubresourceMethod = 'GET' | 'PUT';

export interface SubresourceEntry {
  /** The RBAC resource and discovery name: `virtualmachines/start`, `expand-vm-spec`. */
  readonly name: string;
  /** The parent resource; undefined for `expand-vm-spec`, which has no object (namespaces/{ns}/expand-vm-spec). */
  readonly resource?: SubresourceKind;
  readonly methods: readonly SubresourceMethod[];
  /** Served as a websocket stream (console, vnc, portforward...). */
  readonly stream?: boolean;
  /** Path segments allowed after the subresource: [min, max]. @default [0, 0] */
  readonly rest?: readonly [number, number];
}

const VM = 'virtualmachines' as const;
const VMI = 'virtualmachineinstances' as const;

type Extra = Pick<SubresourceEntry, 'stream' | 'rest'>;
const vm = <S extends string>(sub: S, methods: readonly SubresourceMethod[], extra: Extra = {}) =>
  ({ name: `${VM}/${sub}` as const, resource: VM, methods, ...extra }) as const;
const vmi = <S extends string>(sub: S, methods: readonly SubresourceMethod[], extra: Extra = {}) =>
  ({ name: `${VMI}/${sub}` as const, resource: VMI, methods, ...extra }) as const;

const GET = ['GET'] as const;
const PUT = ['PUT'] as const;
const STREAM = { stream: true } as const;
const PORT = { stream: true, rest: [1, 2] } as const;

/** KubeVirt's list, in its order (sorted by name). */
export const SUBRESOURCE_CATALOG = [
  { name: 'expand-vm-spec', methods: PUT },
  vmi('addvolume', PUT),
  vmi('backup', PUT),
  vmi('console', GET, STREAM),
  vmi('evacuate/cancel', PUT),
  vmi('filesystemlist', GET),
  vmi('freeze', PUT),
  vmi('guestosinfo', GET),
  vmi('objectgraph', ['GET', 'PUT']),
  vmi('pause', PUT),
  vmi('portforward', GET, PORT),
  vmi('removevolume', PUT),
  vmi('reset', PUT),
  vmi('sev/fetchcertchain', GET),
  vmi('sev/injectlaunchsecret', PUT),
  vmi('sev/querylaunchmeasurement', GET),
  vmi('sev/setupsession', PUT),
  vmi('softreboot', PUT),
  vmi('unfreeze', PUT),
  vmi('unpause', PUT),
  vmi('usbredir', GET, STREAM),
  vmi('userlist', GET),
  vmi('vnc', GET, STREAM),
  vmi('vnc/screenshot', GET),
  vmi('vsock', GET, STREAM),
  vm('addvolume', PUT),
  vm('evacuate/cancel', PUT),
  vm('expand-spec', GET),
  vm('memorydump', PUT),
  vm('migrate', PUT),
  vm('objectgraph', ['GET', 'PUT']),
  vm('portforward', GET, PORT),
  vm('removememorydump', PUT),
  vm('removevolume', PUT),
  vm('restart', PUT),
  vm('start', PUT),
  vm('stop', PUT),
] as const satisfies readonly SubresourceEntry[];

/** `virtualmachines/start`, `virtualmachineinstances/vnc/screenshot`, `expand-vm-spec`, ... */
export type SubresourceKey = (typeof SUBRESOURCE_CATALOG)[number]['name'];

const BY_NAME: ReadonlyMap<string, SubresourceEntry> = new Map(SUBRESOURCE_CATALOG.map((e) => [e.name, e]));

export function catalogEntry(name: string): SubresourceEntry | undefined {
  return BY_NAME.get(name);
}

export function isSubresourceKey(name: string): name is SubresourceKey {
  return BY_NAME.has(name);
}

const VERB: Record<SubresourceMethod, string> = { GET: 'get', PUT: 'update' };

/**
 * A subresource's kind is its parent's, as for Kubernetes' own subresources. `expand-vm-spec` has
 * none (as KubeVirt publishes it): it is no subresource, and a top-level resource of kind
 * VirtualMachine would be a second one for that kind to clients that map kinds to resources.
 */
function kindOf(e: SubresourceEntry): string {
  if (!e.resource) return '';
  return e.resource === 'virtualmachineinstances' ? 'VirtualMachineInstance' : 'VirtualMachine';
}

/** The `APIResourceList` of subresources.kubevirt.io/v1, as `GET /apis/subresources.kubevirt.io/v1` answers. */
export function apiResourceList(): Record<string, unknown> {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: SUBRESOURCES_API_VERSION,
    resources: SUBRESOURCE_CATALOG.map((e: SubresourceEntry) => ({
      name: e.name,
      singularName: '',
      namespaced: true,
      kind: kindOf(e),
      verbs: e.methods.map((m) => VERB[m]),
    })),
  };
}

/** The `APIGroup` of subresources.kubevirt.io, as `GET /apis/subresources.kubevirt.io` answers. */
export function apiGroup(): Record<string, unknown> {
  const [group, version] = SUBRESOURCES_API_VERSION.split('/');
  const gv = { groupVersion: SUBRESOURCES_API_VERSION, version };
  return {
    kind: 'APIGroup',
    apiVersion: 'v1',
    name: group,
    versions: [gv],
    preferredVersion: gv,
  };
}

/** The `APIGroupList` this server serves (`GET /apis`: the aggregator asks it for discovery). */
export function apiGroupList(): Record<string, unknown> {
  const { kind: _kind, apiVersion: _apiVersion, ...group } = apiGroup();
  // The same server answers CDI's upload.cdi.kubevirt.io (../upload/token-api.ts).
  const { kind: _k, apiVersion: _v, ...upload } = uploadApiGroup();
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: [group, upload] };
}
