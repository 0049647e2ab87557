/** The text `virtkit status` prints (pure). */
import type { LocalStatus } from './manage';

export function isHealthy(status: LocalStatus): boolean {
  return (
    status.components.length > 0 &&
    status.components.every((c) => c.running && (c.health === undefined || c.health.healthy)) &&
    (status.cluster === undefined ||
      ('workloads' in status.cluster && status.cluster.workloads.every((w) => w.available)))
  );
}

export function formatStatus(status: LocalStatus): string {
  if (!status.state) return `local mode is not running (no state in ${status.stateDir})\n`;
  const rows = [['COMPONENT', 'PID', 'PORT', 'STATE', 'HEALTH']];
  const portOf: Record<string, string> = {
    etcd: 'etcd',
    'kube-apiserver': 'apiserver',
    'kube-scheduler': 'scheduler',
    'kube-controller-manager': 'controllerManager',
  };
  for (const c of status.components) {
    const port = status.state.ports[portOf[c.name] ?? c.name];
    const health = !c.running
      ? '-'
      : c.health === undefined
        ? 'no probe'
        : c.health.healthy
          ? 'ok'
          : `failing: ${c.health.detail}`;
    rows.push([
      c.name,
      String(c.pid),
      port === undefined ? '-' : String(port),
      c.running ? 'running' : 'not running',
      health,
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const table = rows
    .map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join('  '))
    .join('\n');
  return [
    `Kubernetes ${status.state.kubernetesVersion}, started ${status.state.startedAt}`,
    `server:     ${status.state.server}`,
    `kubeconfig: ${status.state.kubeconfig}`,
    `runtime:    ${runtimeLine(status)}`,
    ...(status.state.nodes ?? []).map(
      (n) => `  node ${n.name}: address ${n.nodeIp}, pods ${n.podCidr}, folder ${n.dir}`,
    ),
    '',
    table,
    '',
    ...clusterLines(status),
  ].join('\n');
}

/** virtkit's workloads in the cluster (kubelet runtime). */
function clusterLines(status: LocalStatus): string[] {
  if (!status.cluster) return [];
  if ('error' in status.cluster)
    return [`virtkit in the cluster: the API server did not answer: ${status.cluster.error}`, ''];
  const workloads = status.cluster.workloads;
  return [
    'virtkit in the cluster (namespace virtkit):',
    ...workloads.map((w) => `  ${w.kind} ${w.name}: ${w.message}${w.available ? '' : ' (not available)'}`),
    ...(workloads.length ? [] : ['  nothing installed']),
    '',
  ];
}

function runtimeLine(status: LocalStatus): string {
  const nodes = status.state?.nodes ?? [];
  return status.state?.runtime === 'kubelet'
    ? `kubelet (${nodes.length} node${nodes.length === 1 ? '' : 's'}, containerd)`
    : 'process (virtkit handler runs pods as host processes)';
}
