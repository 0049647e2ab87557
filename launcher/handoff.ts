/**
 * The hand-off between a launcher container kubelet started (cluster mode) and its node's
 * handler, through a folder of the pod both see (virt-launcher's socket folder):
 *
 *   1. the launcher writes `waiting` there (its own file: its owner tells the handler which
 *      uid and gid the launcher runs as);
 *   2. the handler checks the VMI, prepares the node's side (volumes, devices, network) and
 *      writes `resources.json` (the launcher's --resources, owned by the launcher's uid, mode
 *      0600, renamed into place so it is never seen half-written);
 *   3. the launcher reads it and plans the domain; when the resources say the handler wires
 *      the pod network (`networkByHandler`), it writes the planned bindings to
 *      `network-request.json` and waits for `network-done.json` (`{}`, or `{error}`): the
 *      handler, privileged, performs their steps in the pod's network namespace, and the
 *      launcher serves only their DHCP;
 *   4. the launcher serves its control API on `launcher.sock`; the handler starts the guest
 *      with POST /v1/sync as in local mode.
 *
 * SIGTERM or SIGINT before step 3 ends the wait: the pod is going away and nothing ran.
 */
import * as fs from 'fs';
import * as path from 'path';
import { LAUNCHER_SOCKET_FILE } from '../api/kubevirt/v1/launcher-pod-layout';

export const HANDOFF_WAITING_FILE = 'waiting';
export const HANDOFF_RESOURCES_FILE = 'resources.json';
export const HANDOFF_NETWORK_REQUEST_FILE = 'network-request.json';
export const HANDOFF_NETWORK_DONE_FILE = 'network-done.json';

/** The hand-off files of a socket folder (pure). */
export function handoffPaths(dir: string): {
  waiting: string;
  resourcesFile: string;
  socketPath: string;
  networkRequest: string;
  networkDone: string;
} {
  return {
    waiting: path.join(dir, HANDOFF_WAITING_FILE),
    resourcesFile: path.join(dir, HANDOFF_RESOURCES_FILE),
    socketPath: path.join(dir, LAUNCHER_SOCKET_FILE),
    networkRequest: path.join(dir, HANDOFF_NETWORK_REQUEST_FILE),
    networkDone: path.join(dir, HANDOFF_NETWORK_DONE_FILE),
  };
}

const POLL_MS = 200;

/**
 * Marks the launcher waiting in `dir` and resolves once the handler's resources are there,
 * or with undefined when the process is told to stop first.
 */
export async function waitForHandoff(
  dir: string,
  signals: NodeJS.EventEmitter = process,
): Promise<{ resourcesFile: string; socketPath: string } | undefined> {
  const p = handoffPaths(dir);
  fs.mkdirSync(dir, { recursive: true });
  // A restarted container finds its earlier socket: the handler must not reach a dead one.
  for (const stale of [p.socketPath, p.networkRequest, p.networkDone]) fs.rmSync(stale, { force: true });
  fs.writeFileSync(p.waiting, `${new Date().toISOString()}\n`, { mode: 0o600 });
  if (!(await waitForFile(p.resourcesFile, signals))) return undefined;
  return { resourcesFile: p.resourcesFile, socketPath: p.socketPath };
}

/** The handler could not wire the pod network (its answer's error). */
export class NetworkHandoffError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NetworkHandoffError';
  }
}

/**
 * Asks the handler to wire `bindings` in the pod's network namespace and waits for its answer;
 * false when the process is told to stop first.
 */
export async function requestNetworkWiring(
  dir: string,
  bindings: readonly unknown[],
  signals: NodeJS.EventEmitter = process,
): Promise<boolean> {
  const p = handoffPaths(dir);
  const tmp = `${p.networkRequest}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify({ bindings }, null, 2), { mode: 0o600 });
  fs.renameSync(tmp, p.networkRequest);
  if (!(await waitForFile(p.networkDone, signals))) return false;
  const answer = JSON.parse(fs.readFileSync(p.networkDone, 'utf8')) as { error?: unknown };
  if (typeof answer.error === 'string')
    throw new NetworkHandoffError(`the node handler could not wire the pod network: ${answer.error}`);
  return true;
}

/** Resolves true once `file` exists, false when SIGTERM or SIGINT comes first. */
async function waitForFile(file: string, signals: NodeJS.EventEmitter): Promise<boolean> {
  let stopped = false;
  const onSignal = (): void => {
    stopped = true;
  };
  signals.on('SIGTERM', onSignal);
  signals.on('SIGINT', onSignal);
  try {
    await pollUntil(() => stopped || fs.existsSync(file), POLL_MS);
  } finally {
    signals.off('SIGTERM', onSignal);
    signals.off('SIGINT', onSignal);
  }
  return !stopped;
}

/** Resolves once `cond()` holds, looking every `everyMs`. */
export async function pollUntil(cond: () => boolean, everyMs: number): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, everyMs));
}
