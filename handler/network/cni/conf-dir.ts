/**
 * The CNI configuration directory (I/O): like libcni and containerd, the network is the first
 * `.conflist`, `.conf` or `.json` file in lexical order; a broken first file is an error, never
 * silently skipped for the next one (that would put pods on a network nobody chose).
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseNetworkConfigList } from './conflist';
import { CniConfigError, CniConfigMissingError } from './errors';
import type { NetworkConfigList } from './types';

export const CONFIG_EXTENSIONS = ['.conflist', '.conf', '.json'] as const;
/** A configuration larger than this is refused unread. */
export const MAX_CONFIG_BYTES = 1 << 20;

/** The configuration file names of a directory listing, in the order libcni reads them. Pure. */
export function configFileNames(names: readonly string[]): string[] {
  return names
    .filter((n) => CONFIG_EXTENSIONS.some((ext) => n.endsWith(ext) && n.length > ext.length))
    .sort();
}

/** The configuration files in `confDir` (regular files only), in load order. */
export function listConfigFiles(confDir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(confDir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return configFileNames(names)
    .map((n) => path.join(confDir, n))
    .filter((f) => fs.statSync(f, { throwIfNoEntry: false })?.isFile() ?? false);
}

/** Reads and validates one configuration file. */
export function loadConfigFile(file: string): NetworkConfigList {
  const size = fs.statSync(file).size;
  if (size > MAX_CONFIG_BYTES)
    throw new CniConfigError(file, [
      {
        path: '$',
        value: size,
        message: `is larger than ${MAX_CONFIG_BYTES} bytes`,
        fix: 'this is not a CNI configuration; remove it',
      },
    ]);
  return parseNetworkConfigList(fs.readFileSync(file, 'utf8'), file);
}

/** The network of `confDir`: its first configuration file, validated. */
export function loadDefaultNetwork(confDir: string): NetworkConfigList {
  const files = listConfigFiles(confDir);
  if (files.length === 0) throw new CniConfigMissingError(confDir, `no ${CONFIG_EXTENSIONS.join(', ')} file`);
  return loadConfigFile(files[0]);
}
