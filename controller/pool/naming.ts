/**
 * How a VirtualMachinePool names its members and what inside them, as KubeVirt does:
 *  - member VMs are `<pool>-<index>`, new ones take the lowest indexes no VM in the namespace
 *    uses (so a removed member's index is reused);
 *  - each DataVolume template becomes `<template name>-<index>`, and the volumes (dataVolume or
 *    persistentVolumeClaim) naming it follow;
 *  - with spec.nameGeneration, ConfigMap and Secret references (volumes, cloud-init user and network data secrets,
 *    sysprep) get `-<index>` appended, so each member reads its own.
 * Pure.
 */
import type { VirtualMachineSpec } from '../../api/kubevirt/v1';
import type { VirtualMachinePoolSpec } from '../../api/pool/v1beta1';

export const memberName = (pool: string, index: number): string => `${pool}-${index}`;

/** The index of a member (the number after the last dash), or undefined when there is none. */
export function indexOf(name: string): number | undefined {
  const m = /-(\d+)$/.exec(name);
  if (!m) return undefined;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** `count` member names for `pool` that no name in `taken` uses, lowest indexes first. */
export function freeMemberNames(pool: string, count: number, taken: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < count; i++) {
    const name = memberName(pool, i);
    if (!taken.has(name)) out.push(name);
  }
  return out;
}

type Named = { name?: string };

/** The VM spec of member `index`: the pool's template with per-member names. */
export function memberSpec(poolSpec: VirtualMachinePoolSpec, index: number): VirtualMachineSpec {
  const spec = structuredClone(
    poolSpec.virtualMachineTemplate.spec ?? ({ template: {} } as VirtualMachineSpec),
  );
  const suffix = `-${index}`;
  const dvNames = new Map<string, string>();
  for (const dv of spec.dataVolumeTemplates ?? []) {
    const meta = (dv.metadata ?? {}) as Named;
    if (!meta.name) continue;
    dvNames.set(meta.name, meta.name + suffix);
    dv.metadata = { ...dv.metadata, name: meta.name + suffix };
  }
  const configMaps = poolSpec.nameGeneration?.appendIndexToConfigMapRefs === true;
  const secrets = poolSpec.nameGeneration?.appendIndexToSecretRefs === true;
  const append = (ref: Named | undefined): void => {
    if (ref?.name) ref.name += suffix;
  };
  for (const v of spec.template?.spec?.volumes ?? []) {
    if (v.persistentVolumeClaim) {
      const renamed = dvNames.get(v.persistentVolumeClaim.claimName);
      if (renamed) v.persistentVolumeClaim.claimName = renamed;
    } else if (v.dataVolume) {
      const renamed = dvNames.get(v.dataVolume.name);
      if (renamed) v.dataVolume.name = renamed;
    } else if (v.configMap && configMaps) {
      append(v.configMap as Named);
    } else if (v.secret && secrets) {
      if (v.secret.secretName) v.secret.secretName += suffix;
    } else if (v.cloudInitNoCloud && secrets) {
      append(v.cloudInitNoCloud.secretRef);
      append(v.cloudInitNoCloud.networkDataSecretRef);
    } else if (v.cloudInitConfigDrive && secrets) {
      append(v.cloudInitConfigDrive.secretRef);
      append(v.cloudInitConfigDrive.networkDataSecretRef);
    } else if (v.sysprep) {
      if (secrets) append(v.sysprep.secret);
      if (configMaps) append(v.sysprep.configMap);
    }
  }
  return spec;
}
