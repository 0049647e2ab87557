/**
 * One member VM of a pool, as KubeVirt writes it: labels and annotations from
 * spec.virtualMachineTemplate.metadata, the indexed spec (naming.ts), the pool's revision
 * (`<pool>-<generation>`) in the `kubevirt.io/vm-pool-revision-name` label of the VM and of its
 * VMI template, the pool's finalizer, and a controller reference to the pool.
 *
 * KubeVirt tells whether a member is outdated by comparing the template stored in the
 * ControllerRevision its label names with the pool's current one. virtkit keeps no
 * ControllerRevisions: it records a fingerprint of the template the member was written from in
 * the `virtkit.io/pool-template-hash` annotation, which answers the same question without
 * reading anything else. As in KubeVirt, a member is rewritten only when the pool's template
 * changed, so what a user or `virtctl` changed on a member (a stop, say) stays until then. The
 * VMI template's revision label moves only when the VMI template itself changed, so a running
 * member is restarted only for a change that reaches its VMI. Pure.
 */
import { createHash } from 'crypto';
import { isDeepStrictEqual } from 'util';
import type { VirtualMachine } from '../../api/kubevirt/v1';
import type { VirtualMachinePool } from '../../api/pool/v1beta1';
import { controllerRefTo } from '../replicas/ownership';
import { memberSpec } from './naming';
import { canonicalJson } from '../../common/canonical-json';

export const POOL_REVISION_LABEL = 'kubevirt.io/vm-pool-revision-name';
export const POOL_FINALIZER = 'pool.kubevirt.io/finalizer';
export const TEMPLATE_HASH_ANNOTATION = 'virtkit.io/pool-template-hash';

export const revisionName = (pool: VirtualMachinePool): string =>
  `${pool.metadata?.name}-${pool.metadata?.generation ?? 1}`;

/** Fingerprint of everything a member is made from (the template and the name generation). */
export function templateHash(pool: VirtualMachinePool): string {
  return createHash('sha256')
    .update(canonicalJson({ t: pool.spec.virtualMachineTemplate, n: pool.spec.nameGeneration ?? null }))
    .digest('hex')
    .slice(0, 16);
}

export const isOutdated = (vm: VirtualMachine, pool: VirtualMachinePool): boolean =>
  vm.metadata?.annotations?.[TEMPLATE_HASH_ANNOTATION] !== templateHash(pool);

function withoutRevision(template: VirtualMachine['spec']['template'] | undefined): unknown {
  const t = structuredClone(template ?? {}) as { metadata?: { labels?: Record<string, string> } };
  if (t.metadata?.labels) {
    delete t.metadata.labels[POOL_REVISION_LABEL];
    if (Object.keys(t.metadata.labels).length === 0) delete t.metadata.labels;
  }
  return t;
}

/**
 * Member `index` as the pool wants it now. With `current` (an outdated member being rewritten)
 * the object keeps its identity (resourceVersion, finalizers of others, status), its firmware
 * UUID and serial, and its VMI template revision when the VMI template did not change.
 */
export function desiredMember(
  pool: VirtualMachinePool,
  name: string,
  index: number,
  current?: VirtualMachine,
): VirtualMachine {
  const revision = revisionName(pool);
  const tmeta = pool.spec.virtualMachineTemplate.metadata ?? {};
  const spec = memberSpec(pool.spec, index);
  spec.template = spec.template ?? {};
  const labels = { ...(tmeta.labels ?? {}), [POOL_REVISION_LABEL]: revision };
  const annotations = { ...(tmeta.annotations ?? {}), [TEMPLATE_HASH_ANNOTATION]: templateHash(pool) };

  let templateRevision = revision;
  const oldTemplate = current?.spec.template;
  const oldRevision = oldTemplate?.metadata?.labels?.[POOL_REVISION_LABEL];
  if (
    current &&
    oldRevision &&
    isDeepStrictEqual(withoutRevision(oldTemplate), withoutRevision(spec.template))
  )
    templateRevision = oldRevision;
  spec.template.metadata = {
    ...(spec.template.metadata ?? {}),
    labels: { ...(spec.template.metadata?.labels ?? {}), [POOL_REVISION_LABEL]: templateRevision },
  };

  const firmware = current?.spec.template?.spec?.domain?.firmware;
  if (firmware?.uuid || firmware?.serial) {
    const domain = (spec.template.spec ??= { domain: { devices: {} } }).domain;
    domain.firmware = {
      ...(domain.firmware ?? {}),
      ...(firmware.uuid ? { uuid: firmware.uuid } : {}),
      ...(firmware.serial ? { serial: firmware.serial } : {}),
    };
  }

  const finalizers = [...(current?.metadata?.finalizers ?? [])];
  if (!finalizers.includes(POOL_FINALIZER)) finalizers.push(POOL_FINALIZER);
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: {
      ...(current?.metadata ?? {}),
      name,
      namespace: pool.metadata?.namespace,
      labels,
      annotations,
      finalizers,
      ownerReferences: current?.metadata?.ownerReferences ?? [controllerRefTo(pool)],
    },
    spec,
    ...(current?.status ? { status: current.status } : {}),
  };
}

/** Whether the DataVolume templates differ (KubeVirt then replaces the member instead of updating it). */
export const dataVolumesChanged = (vm: VirtualMachine, next: VirtualMachine): boolean =>
  !isDeepStrictEqual(vm.spec.dataVolumeTemplates ?? [], next.spec.dataVolumeTemplates ?? []);
