/**
 * Typed errors of the CNI runtime. Each names what failed (file, network, plugin, pod), the
 * value and the fix, and carries a short `reason` the handler can put in a VMI condition or an
 * Event (the lead's wiring maps them; nothing here talks to the API).
 */
import type { PodNetworkFailureReason } from '../../../api/pod-sandbox';
import type { CniCommand, PodIdentity } from './types';

/** The reasons of the pod network's errors (api/pod-sandbox.ts: the controller reads them back). */
export type CniErrorReason = PodNetworkFailureReason;

export abstract class CniError extends Error {
  abstract readonly reason: CniErrorReason;
}

/** One problem in a network configuration: where (`path`, a JSON path), what, and the fix. */
export interface ConfigProblem {
  /** JSON path inside the document, `$` for the document itself, e.g. `$.plugins[1].type`. */
  readonly path: string;
  /** The offending value (omitted when the value is missing). */
  readonly value?: unknown;
  readonly message: string;
  readonly fix: string;
}

function shown(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) return String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Every problem of one configuration source, gathered (never only the first). */
export class CniConfigError extends CniError {
  readonly reason = 'InvalidNetworkConfig' as const;
  constructor(
    readonly source: string,
    readonly problems: readonly ConfigProblem[],
  ) {
    super(
      `invalid CNI network configuration ${source}: ` +
        problems
          .map(
            (p) =>
              `${p.path}${'value' in p && p.value !== undefined ? ` ${shown(p.value)}` : ''}: ${p.message}; ${p.fix}`,
          )
          .join('; '),
    );
    this.name = 'CniConfigError';
  }
}

/** No usable configuration file in the configuration directory. */
export class CniConfigMissingError extends CniError {
  readonly reason = 'NetworkConfigMissing' as const;
  constructor(
    readonly confDir: string,
    detail: string,
  ) {
    super(
      `no CNI network configuration in ${confDir}: ${detail}; write a .conflist there ` +
        `(the handler writes virtkit's default network when the directory has none)`,
    );
    this.name = 'CniConfigMissingError';
  }
}

/** The plugin binary named by a configuration's `type` is not in any plugin directory. */
export class CniPluginNotFoundError extends CniError {
  readonly reason = 'PluginNotFound' as const;
  constructor(
    readonly plugin: string,
    readonly pluginDirs: readonly string[],
    readonly network?: string,
  ) {
    super(
      `plugin ${JSON.stringify(plugin)}${network ? ` of network ${JSON.stringify(network)}` : ''} not found in ` +
        `${pluginDirs.join(':') || '(no plugin directory)'}; ` +
        // virtkit builds whereabouts itself (docs/networking.md#whereabouts-ipam); Debian has the rest.
        (plugin === 'whereabouts'
          ? "run scripts/build-whereabouts.sh (local mode's handler searches its cache folder) or put the plugin binary in one of those directories"
          : `install containernetworking-plugins (Debian) or put the plugin binary in one of those directories, or fix the plugin's "type"`),
    );
    this.name = 'CniPluginNotFoundError';
  }
}

/** A plugin ran and reported an error result (`{code, msg, details}` on stdout, exit ≠ 0). */
export class CniPluginError extends CniError {
  readonly reason = 'PluginFailed' as const;
  constructor(
    readonly network: string,
    readonly plugin: string,
    readonly command: CniCommand,
    readonly code: number,
    readonly msg: string,
    readonly details: string,
    readonly stderr: string,
  ) {
    super(
      `CNI ${command} of network ${JSON.stringify(network)}: plugin ${JSON.stringify(plugin)} failed ` +
        `(code ${code}${CODE_NAMES[code] ? `, ${CODE_NAMES[code]}` : ''}): ${msg}` +
        (details ? ` (${details})` : ''),
    );
    this.name = 'CniPluginError';
  }
}

/** The spec's well-known error codes, for messages. */
const CODE_NAMES: Record<number, string> = {
  1: 'incompatible CNI version',
  2: 'unsupported field in network configuration',
  3: 'container unknown or does not exist',
  4: 'invalid necessary environment variables',
  5: 'I/O failure',
  6: 'failed to decode content',
  7: 'invalid network config',
  11: 'try again later',
};

/** A plugin could not be run or gave no usable answer: timeout, crash, unreadable output. */
export class CniExecError extends CniError {
  readonly reason = 'PluginExecFailed' as const;
  constructor(
    readonly network: string,
    readonly plugin: string,
    readonly command: CniCommand,
    detail: string,
  ) {
    super(
      `CNI ${command} of network ${JSON.stringify(network)}: plugin ${JSON.stringify(plugin)}: ${detail}`,
    );
    this.name = 'CniExecError';
  }
}

/** A network namespace could not be made, found or removed. */
export class NetnsError extends CniError {
  readonly reason = 'NetworkNamespaceFailed' as const;
  constructor(
    readonly netns: string,
    detail: string,
  ) {
    super(`network namespace ${netns}: ${detail}`);
    this.name = 'NetnsError';
  }
}

/** The result cache could not be read or written. */
export class CniCacheError extends CniError {
  readonly reason = 'CacheFailed' as const;
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`CNI result cache ${file}: ${detail}`);
    this.name = 'CniCacheError';
  }
}

/** A pod identity or interface name that cannot be used in CNI's environment or file names. */
export class PodIdentityError extends CniError {
  readonly reason = 'InvalidPod' as const;
  constructor(
    readonly field: string,
    readonly value: string,
    detail: string,
  ) {
    super(`${field} ${JSON.stringify(value)}: ${detail}`);
    this.name = 'PodIdentityError';
  }
}

/**
 * Setting up or tearing down a pod's network failed. `cause` is the typed error above;
 * `reason` is its reason, so a caller needs only this class.
 */
export class PodNetworkError extends Error {
  readonly reason: CniErrorReason;
  constructor(
    readonly pod: PodIdentity,
    readonly action: 'setUp' | 'tearDown' | 'check',
    override readonly cause: Error,
    /** The attachment that failed, for a pod with several (e.g. `NetworkAttachmentDefinition ns/x, interface net1`). */
    readonly attachment?: string,
  ) {
    super(
      `pod ${pod.namespace}/${pod.name} (uid ${pod.uid}): network ${action === 'setUp' ? 'set-up' : action === 'tearDown' ? 'tear-down' : 'check'} failed: ` +
        `${attachment ? `${attachment}: ` : ''}${cause.message}`,
    );
    this.name = 'PodNetworkError';
    this.reason = cause instanceof CniError ? cause.reason : 'NetworkSetupFailed';
  }
}
