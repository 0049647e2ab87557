/**
 * A real kubelet node for an integration suite (cli/local/kubelet/): registered with the shared
 * control plane under its own client certificate (system:node:<name>), with Debian's CNI plugins,
 * at the addresses of a free node slot, and with the suite's NoSchedule taint so no other suite's
 * pod lands on it. The suites that use it install local mode's RBAC first (the API server's
 * kubelet client is bound to system:kubelet-api-admin there).
 */
import * as fs from 'fs';
import * as path from 'path';
import { layout } from '../../../cli/local/layout';
import { startKubeletNode, type RunningKubeletNode } from '../../../cli/local/kubelet/node';
import type { NodeAddresses } from '../../../cli/local/kubelet/slots';
import { issueNodeClientCertificate } from '../../../cli/local/pki';
import { readShared } from './shared-controlplane';

/** The suite's taint (NoSchedule), which its own pods tolerate. */
export interface TestNodeTaint {
  readonly key: string;
  readonly value: string;
  readonly effect: string;
}

export async function startTestKubeletNode(o: {
  readonly name: string;
  /** The node's folder (short: its Unix sockets live under it). */
  readonly dir: string;
  readonly slot: NodeAddresses;
  readonly taint: TestNodeTaint;
}): Promise<RunningKubeletNode> {
  const shared = readShared();
  const pki = layout(shared.stateDir).pkiDir;
  const client = await issueNodeClientCertificate(pki, o.name);
  return startKubeletNode({
    name: o.name,
    hostIp: o.slot.hostIp,
    nodeIp: o.slot.nodeIp,
    podCidr: o.slot.podCidr,
    dir: o.dir,
    apiServer: shared.server,
    caFile: path.join(pki, 'ca.crt'),
    clientCert: client.cert,
    clientKey: client.key,
    cniBinDir: '/usr/lib/cni',
    registerWithTaints: [o.taint],
  });
}

/** The last lines of the node's kubelet and containerd logs (for a failing wait's message). */
export function kubeletNodeLogs(dir: string, lines = 25): string {
  const read = (f: string): string => {
    try {
      return fs
        .readFileSync(path.join(dir, 'logs', f), 'utf8')
        .split('\n')
        .slice(-lines)
        .join('\n');
    } catch {
      return '(none)';
    }
  };
  return `kubelet:\n${read('kubelet.log')}\ncontainerd:\n${read('containerd.log')}`;
}
