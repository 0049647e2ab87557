/**
 * The `virtkit importer` command line of a plan (pure): flags the runner builds itself from the
 * checked plan and the host paths it resolved, never anything taken from the pod's container.
 * Credentials are not here: they reach the child through its environment only.
 */
import { ImporterSource } from '../../api/cdi/worker-pod';
import { parseImageReference } from '../../common/oci/reference';
import type { RegistryMirror } from '../images/policy';
import { CLONE_SOURCE, UPLOAD_SOURCE, type ImportPlan } from './import-plan';

export interface ResolvedPaths {
  /** The target claim's volume directory (for a Block target, the importer's scratch directory). */
  readonly targetDir: string;
  /** A Block target's device node, resolved by the runner from the claim's volume. */
  readonly targetDevice?: string;
  /** The source claim's volume directory (pvc source). */
  readonly sourceDir?: string;
  /** A Block source claim's device node (pvc source). */
  readonly sourceDevice?: string;
  /** The certConfigMap's bundle, written by the runner. */
  readonly caFile?: string;
  /**
   * The upload source's socket, in the pod's runner directory; for a clone source pod, the
   * socket of its target's upload server.
   */
  readonly socket?: string;
  /** The upload pod's claim is a clone's target (CDI's k8s.io/CloneRequest): take raw bytes. */
  readonly rawUpload?: boolean;
}

export interface RegistrySettings {
  readonly mirrors: readonly RegistryMirror[];
  readonly insecure: readonly string[];
}

const FLAG_SOURCE: Record<string, string> = {
  [ImporterSource.http]: 'http',
  [ImporterSource.registry]: 'registry',
  [ImporterSource.blank]: 'blank',
  [ImporterSource.pvc]: 'pvc',
  [UPLOAD_SOURCE]: 'upload',
};

export function importerArgs(plan: ImportPlan, paths: ResolvedPaths, registries: RegistrySettings): string[] {
  // A clone source pod runs `virtkit cloner`: its own claim (resolved as the target) is read and
  // streamed to the target's upload server.
  if (plan.source === CLONE_SOURCE) {
    if (paths.socket === undefined) throw new Error('importerArgs: a clone source needs its target socket');
    return [
      'cloner',
      ...(paths.targetDevice !== undefined
        ? ['--source-device', paths.targetDevice]
        : ['--source-dir', paths.targetDir]),
      '--socket',
      paths.socket,
    ];
  }
  const args = [
    'importer',
    '--source',
    FLAG_SOURCE[plan.source],
    '--target-dir',
    paths.targetDir,
    '--size',
    String(plan.requestedBytes),
  ];
  if (paths.targetDevice !== undefined) args.push('--target-device', paths.targetDevice);
  if (plan.endpoint !== undefined) args.push(`--url=${plan.endpoint}`);
  // A device has no filesystem: CDI applies no overhead to a Block claim, whatever the pod says.
  if (plan.filesystemOverhead !== undefined && paths.targetDevice === undefined)
    args.push('--filesystem-overhead', String(plan.filesystemOverhead));
  if (paths.sourceDir !== undefined) args.push('--source-dir', paths.sourceDir);
  if (paths.sourceDevice !== undefined) args.push('--source-device', paths.sourceDevice);
  if (paths.caFile !== undefined) args.push('--ca-file', paths.caFile);
  if (paths.socket !== undefined) args.push('--socket', paths.socket);
  if (paths.rawUpload && plan.source === UPLOAD_SOURCE) args.push('--raw');
  if (plan.source === ImporterSource.registry) {
    for (const m of registries.mirrors) args.push(`--registry-mirror=${m.registry}=${m.endpoint}`);
    const insecure = new Set(registries.insecure);
    // INSECURE_TLS (CDI's insecure registry): speak plain HTTP to the image's own registry.
    if (plan.insecureTls && plan.endpoint) {
      try {
        insecure.add(parseImageReference(plan.endpoint.replace(/^docker:\/\//, '')).registry);
      } catch {
        // the importer refuses the endpoint with the reason
      }
    }
    for (const h of insecure) args.push(`--insecure-registry=${h}`);
  }
  return args;
}
