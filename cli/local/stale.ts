/**
 * Before a start: find what a previous run of the same state folder left behind. Live processes
 * of ours mean "already running"; anything else (pid files of dead processes, sockets, a
 * state.json) is removed.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Layout } from './layout';
import { isOurs, readPidFile } from './process';
import { readState } from './state';

/** Live pids recorded for this state folder (pid files and state.json) that are still ours. */
export function livePids(l: Layout): number[] {
  const pids = new Set<number>();
  if (fs.existsSync(l.runDir)) {
    for (const f of fs.readdirSync(l.runDir)) {
      if (!f.endsWith('.pid')) continue;
      const pid = readPidFile(path.join(l.runDir, f));
      if (pid !== undefined) pids.add(pid);
    }
  }
  for (const c of readState(l.stateFile)?.components ?? []) pids.add(c.pid);
  return [...pids].filter((pid) => isOurs(pid, l.stateDir));
}

function removeSockets(dir: string, depth: number): void {
  if (!fs.existsSync(dir)) return;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isSocket()) fs.rmSync(full, { force: true });
    else if (entry.isDirectory() && depth > 0 && entry.name !== 'etcd-data') removeSockets(full, depth - 1);
  }
}

/** Remove pid files, sockets and state.json left by a run whose processes are gone. */
export function removeStaleState(l: Layout): void {
  fs.rmSync(l.runDir, { recursive: true, force: true });
  fs.rmSync(l.stateFile, { force: true });
  removeSockets(l.stateDir, 2);
}
