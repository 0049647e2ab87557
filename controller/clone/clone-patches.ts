/**
 * The JSON Patch operations a clone hands its VirtualMachineRestore (KubeVirt's generatePatches),
 * applied by the restore to the new VM it creates from the snapshot's VM. Pure.
 *
 * In KubeVirt's order: each interface's MAC address, the SMBIOS serial, the VM's labels and
 * annotations (label and annotation filters), the template's labels and annotations (template
 * filters), the firmware UUID, and last the clone's own `spec.patches`, verbatim.
 *
 * Identity. KubeVirt writes empty strings (`macAddress: ""`, `firmware.serial: ""`,
 * `firmware.uuid: ""`) so a new value is generated. virtkit derives MAC addresses and the
 * firmware UUID from the VM's namespace and name whenever the spec sets none, so it removes what
 * the source pinned instead: the new VM's spec holds nothing the user did not ask for, and its
 * MACs and UUID follow its own name. A MAC of `newMacAddresses` and `newSMBiosSerial` are set.
 *
 * Filters, as KubeVirt's user guide describes them: `*` alone keeps every key; `prefix*` keeps
 * the keys that start with prefix; any other filter keeps the key equal to it; `!` in front
 * excludes what the rest matches, and exclusions win. No filter list keeps everything; an empty
 * list keeps nothing. KubeVirt allows `*` only at the end and `!` only at the start.
 */
import type { Operation } from 'fast-json-patch';
import {
  cloneFilterLists,
  cloneFilterProblem,
  clonePatchPathProblem,
  type VirtualMachineCloneSpec,
} from '../../api/clone/v1beta1';
import type { SnapshotVm } from '../restore/restored-vm';
import { LAST_RESTORE_ANNOTATION } from '../restore/names';

/**
 * What is wrong with a clone's filters and patches (KubeVirt's admission rules, which virtkit's
 * admission applies too: api/clone/v1beta1/filters.ts), each naming the field, the value and the fix.
 */
export function cloneSpecProblems(spec: VirtualMachineCloneSpec): string[] {
  const problems: string[] = [];
  for (const [field, filters] of cloneFilterLists(spec))
    (filters ?? []).forEach((f, i) => {
      const problem = cloneFilterProblem(f);
      if (problem) problems.push(`${field}[${i}]: ${problem}`);
    });
  (spec.patches ?? []).forEach((p, i) => {
    let path: unknown;
    try {
      path = (JSON.parse(p) as { path?: unknown }).path;
    } catch {
      return; // admission reports patches that are not JSON
    }
    const problem = clonePatchPathProblem(path);
    if (problem) problems.push(`spec.patches[${i}]: ${problem}`);
  });
  return problems;
}

/** Whether one (valid) filter, without its "!", matches a key. */
function matches(filter: string, key: string): boolean {
  return filter.endsWith('*') ? key.startsWith(filter.slice(0, -1)) : key === filter;
}

/**
 * The keys of `keys` that `filters` keep (KubeVirt's label and annotation filters): every key when
 * there are no filters; otherwise those some plain filter matches and no negation matches.
 */
export function keptKeys(keys: readonly string[], filters: readonly string[] | undefined): string[] {
  if (filters === undefined) return [...keys];
  const plain = filters.filter((f) => !f.startsWith('!'));
  const negated = filters.filter((f) => f.startsWith('!')).map((f) => f.slice(1));
  return keys.filter((k) => plain.some((f) => matches(f, k)) && !negated.some((f) => matches(f, k)));
}

/** A JSON pointer token: `~` and `/` escaped (RFC 6901). */
export function pointerToken(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Remove operations for the keys of `map` the filters leave out, in key order. */
function removals(
  map: Record<string, string> | undefined,
  filters: readonly string[] | undefined,
  base: string,
  spare: readonly string[] = [],
): Operation[] {
  const keys = Object.keys(map ?? {})
    .filter((k) => !spare.includes(k))
    .sort();
  const kept = new Set(keptKeys(keys, filters));
  return keys.filter((k) => !kept.has(k)).map((k) => ({ op: 'remove', path: `${base}/${pointerToken(k)}` }));
}

export type ClonePatches = { readonly patches: string[] } | { readonly problems: string[] };

const DOMAIN = '/spec/template/spec/domain';

/**
 * The patches of a clone of `vm` (the VM a snapshot content holds), or what stops them: a
 * `newMacAddresses` entry that names no interface of the VM.
 */
export function clonePatches(vm: SnapshotVm, spec: VirtualMachineCloneSpec): ClonePatches {
  const ops: Operation[] = [];
  const problems: string[] = [];
  const template = vm.spec?.template;
  const domain = template?.spec?.domain;
  const interfaces = domain?.devices?.interfaces ?? [];
  const vmName = `${vm.metadata?.namespace ?? ''}/${vm.metadata?.name ?? ''}`;

  for (const name of Object.keys(spec.newMacAddresses ?? {}))
    if (!interfaces.some((i) => i.name === name))
      problems.push(
        `spec.newMacAddresses.${name}: the source VM ${vmName} has no interface ${JSON.stringify(name)} (${
          interfaces.length
            ? `its interfaces: ${interfaces.map((i) => i.name).join(', ')}`
            : 'it has no interfaces'
        }); key each new MAC address by one of its interface names, or remove the entry`,
      );
  if (problems.length) return { problems };

  interfaces.forEach((iface, i) => {
    const path = `${DOMAIN}/devices/interfaces/${i}/macAddress`;
    const mac = spec.newMacAddresses?.[iface.name];
    if (mac) ops.push({ op: 'add', path, value: mac });
    else if (iface.macAddress !== undefined) ops.push({ op: 'remove', path });
  });

  const firmware = domain?.firmware;
  if (spec.newSMBiosSerial) {
    if (firmware) ops.push({ op: 'add', path: `${DOMAIN}/firmware/serial`, value: spec.newSMBiosSerial });
    else ops.push({ op: 'add', path: `${DOMAIN}/firmware`, value: { serial: spec.newSMBiosSerial } });
  } else if (firmware?.serial !== undefined) ops.push({ op: 'remove', path: `${DOMAIN}/firmware/serial` });

  ops.push(...removals(vm.metadata?.labels, spec.labelFilters, '/metadata/labels'));
  // The restore writes its own lastRestoreUID on the new VM: never filtered away.
  ops.push(
    ...removals(vm.metadata?.annotations, spec.annotationFilters, '/metadata/annotations', [
      LAST_RESTORE_ANNOTATION,
    ]),
  );
  ops.push(
    ...removals(template?.metadata?.labels, spec.template?.labelFilters, '/spec/template/metadata/labels'),
  );
  ops.push(
    ...removals(
      template?.metadata?.annotations,
      spec.template?.annotationFilters,
      '/spec/template/metadata/annotations',
    ),
  );

  if (firmware?.uuid !== undefined) ops.push({ op: 'remove', path: `${DOMAIN}/firmware/uuid` });

  return { patches: [...ops.map((o) => JSON.stringify(o)), ...(spec.patches ?? [])] };
}
