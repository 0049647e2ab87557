/**
 * Pure: the names the handler turns into paths on the node. A volume name becomes the
 * directory `<pod>/volumes/<name>` (removed and rewritten on every start) and the keys of a
 * ConfigMap or Secret become file names in it, so both are checked before anything is touched.
 */
import { escapeControl, fileKeyProblem, safeNameProblem } from '../../api/host-path';
import type { VolumeSource } from './plan';

/** Every unsafe volume name of a VMI, as `field = "value": problem` lines. */
export function volumeNameProblems(volumes: readonly VolumeSource[] | undefined): string[] {
  const out: string[] = [];
  (volumes ?? []).forEach((v, i) => {
    const name = typeof v.name === 'string' ? v.name : '';
    const problem = safeNameProblem(name);
    if (problem) out.push(`spec.volumes[${i}].name = "${escapeControl(name)}": ${problem}`);
  });
  return out;
}

/** Every key of a ConfigMap / Secret that cannot be a file name in the volume's directory. */
export function fileVolumeProblems(
  f: { readonly kind: 'configMap' | 'secret'; readonly name: string },
  namespace: string,
  keys: readonly string[],
): string[] {
  const what = `${f.kind === 'secret' ? 'Secret' : 'ConfigMap'} ${namespace}/${f.name}`;
  return keys.flatMap((k) => {
    const problem = fileKeyProblem(k);
    return problem ? [`${what} key "${escapeControl(k)}": ${problem}`] : [];
  });
}
