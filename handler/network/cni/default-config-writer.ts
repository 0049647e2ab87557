/**
 * Writes virtkit's default network into the CNI configuration directory when the directory has
 * no configuration (I/O). An existing configuration is never touched: whoever wrote it chose the
 * network. Before writing, the pod CIDR is checked against the host's addresses and routes.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseCidr } from './cidr';
import { listConfigFiles } from './conf-dir';
import { networkConfigListFrom } from './conflist';
import {
  DEFAULT_BRIDGE,
  DEFAULT_CONFIG_FILE,
  DEFAULT_POD_CIDR,
  defaultNetworkConfig,
  type DefaultNetworkOptions,
} from './default-config';
import { CniConfigError } from './errors';
import { cidrClashes, hostNetworks, type HostNetwork } from './host-networks';

export interface EnsureDefaultNetworkOptions extends DefaultNetworkOptions {
  readonly confDir: string;
  /** The host's prefixes. @default read with `ip -j addr` / `ip -j route` */
  readonly hostNetworks?: () => Promise<readonly HostNetwork[]>;
}

export interface EnsureDefaultNetworkResult {
  /** The configuration file the network now comes from. */
  readonly file: string;
  /** Whether this call wrote it. */
  readonly written: boolean;
}

/** Writes the default network unless `confDir` already has a configuration. */
export async function ensureDefaultNetworkConfig(
  o: EnsureDefaultNetworkOptions,
): Promise<EnsureDefaultNetworkResult> {
  const existing = listConfigFiles(o.confDir);
  if (existing.length > 0) return { file: existing[0], written: false };
  const doc = defaultNetworkConfig(o);
  networkConfigListFrom(doc, 'virtkit default network');

  const podCidr = o.podCidr ?? DEFAULT_POD_CIDR;
  const cidr = parseCidr(podCidr);
  if (typeof cidr !== 'string') {
    const clashes = cidrClashes(cidr, await (o.hostNetworks ?? hostNetworks)(), o.bridge ?? DEFAULT_BRIDGE);
    if (clashes.length > 0)
      throw new CniConfigError('virtkit default network options', [
        {
          path: 'podCidr',
          value: podCidr,
          message: `overlaps what the host uses already: ${clashes.map((c) => `${c.cidr} (${c.what} on ${c.dev || '?'})`).join(', ')}`,
          fix: 'choose a pod CIDR no host interface or route uses',
        },
      ]);
  }

  fs.mkdirSync(o.confDir, { recursive: true, mode: 0o755 });
  const file = path.join(o.confDir, DEFAULT_CONFIG_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(doc, null, 2) + '\n', { mode: 0o644, flag: 'w' });
  fs.renameSync(tmp, file);
  fs.mkdirSync(o.ipamDataDir, { recursive: true, mode: 0o700 });
  return { file, written: true };
}
