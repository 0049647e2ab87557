/**
 * Pod network namespaces (I/O), made with `ip netns` so they live at /run/netns/<name>, the
 * place operators and `ip -n` look (containerd keeps its own there too). /run is a tmpfs: after
 * a reboot the namespaces are gone with everything in them, and tear-down tolerates that.
 */
import * as fs from 'fs';
import * as path from 'path';
import { NetnsError } from './errors';
import { IpCommandError, runIp } from '../../../common/ip-command';

export const NETNS_RUN_DIR = '/run/netns';

/** The path plugins get as CNI_NETNS. */
export function netnsPath(name: string): string {
  return path.join(NETNS_RUN_DIR, name);
}

export function netnsExists(name: string): boolean {
  return fs.existsSync(netnsPath(name));
}

function failure(name: string, what: string, e: unknown): NetnsError {
  return new NetnsError(
    name,
    `${what}: ${e instanceof IpCommandError || e instanceof Error ? e.message : String(e)}`,
  );
}

/** Makes namespace `name` (or keeps the existing one) with its loopback up; returns its path. */
export async function createNetns(name: string): Promise<string> {
  if (!netnsExists(name)) {
    try {
      await runIp(['netns', 'add', name]);
    } catch (e) {
      if (!netnsExists(name)) throw failure(name, 'could not be created (the handler must run as root)', e);
    }
  }
  try {
    await runIp(['-n', name, 'link', 'set', 'lo', 'up']);
  } catch (e) {
    throw failure(name, 'loopback could not be brought up', e);
  }
  return netnsPath(name);
}

/** Removes namespace `name`; one that is not there is fine. */
export async function deleteNetns(name: string): Promise<void> {
  if (!netnsExists(name)) return;
  try {
    await runIp(['netns', 'delete', name]);
  } catch (e) {
    if (netnsExists(name)) throw failure(name, 'could not be deleted', e);
  }
}

/** The names of every namespace under /run/netns whose name `keep` accepts. */
export function listNetns(keep: (name: string) => boolean): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(NETNS_RUN_DIR);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return names.filter(keep).sort();
}
