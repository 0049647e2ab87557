/**
 * The guests local mode runs. `virtkit down` throws away the cluster's etcd, so the VMs it ran
 * must go too: each launcher recorded in the handler's state dir gets SIGTERM (a graceful
 * guest shutdown within the VMI's grace period), then SIGKILL; then the node's pod network goes
 * (CNI DEL of every pod, its namespaces, the bridges (its own and Kube-OVN's), the range's claim).
 */
import * as fs from 'fs';
import { stopLauncher } from '../../handler/pods/launcher-process';
import { PodDir, recordedPods } from '../../handler/pods/pod-dir';
import { releaseNodeNetwork } from '../../handler/network/cni';
import { DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS } from '../../api/kubevirt/v1/defaults';

function graceOf(dir: PodDir): number {
  try {
    const vmi = JSON.parse(fs.readFileSync(dir.vmiFile, 'utf8')) as {
      spec?: { terminationGracePeriodSeconds?: number };
    };
    return vmi.spec?.terminationGracePeriodSeconds ?? DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS;
  } catch {
    return DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS;
  }
}

/** Stops every recorded launcher (in parallel) and returns `launcher <namespace>/<pod>` for each. */
export async function stopGuests(handlerStateDir: string, log: (m: string) => void): Promise<string[]> {
  if (!fs.existsSync(handlerStateDir)) return [];
  const stops = recordedPods(handlerStateDir).map(async (uid) => {
    const dir = PodDir.forPod(handlerStateDir, uid);
    const record = dir.readRecord();
    const pid = dir.readPid();
    const name = `launcher ${record?.namespace ?? '?'}/${record?.name ?? uid}`;
    if (pid) {
      log(`stopping ${name} (pid ${pid.pid}): graceful guest shutdown`);
      await stopLauncher(pid.pid, pid.startTicks, graceOf(dir) + 5);
    }
    dir.remove();
    return pid ? [name] : [];
  });
  const stopped = (await Promise.all(stops)).flat();
  const net = await releaseNodeNetwork({ stateDir: handlerStateDir });
  const bridges = [
    ...(net.bridgeRemoved ? [net.bridgeRemoved] : []),
    ...net.kubeOvnBridgesRemoved,
    ...net.kubeOvnUplinksRemoved,
    ...net.kubeOvnTunnelsRemoved,
  ];
  if (net.tornDown.length > 0 || bridges.length > 0)
    log(
      `pod network released: ${net.tornDown.length} pod(s)${bridges.length ? `, bridge(s), uplink(s) and tunnel(s) ${bridges.join(', ')}` : ''}`,
    );
  for (const e of net.errors) log(`pod network: ${e.message}`);
  return stopped;
}
