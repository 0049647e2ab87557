/**
 * What virtkit's runtime cannot run yet, refused up front with one message shape ("... is not
 * supported by virtkit yet; <fix>"), the way KubeVirt refuses a feature whose gate is off:
 * admission refuses the object (so `kubectl apply` and GitOps tools show it at once) and the node
 * handler refuses a VMI stored without the webhook. Valid KubeVirt, so the schema accepts it;
 * today: Multus networks, and probes the node's prober cannot run (exec, another host, a named
 * port); each entry goes when its feature lands. Pure.
 */
import { vmiSpecOf } from './feature-gates';
import { error, show, type Issue } from './validation/issue';
import { printable } from './validation/printable';

type Json = Record<string, unknown>;

/** Every use in `object` (a VM, VMI, pool or replica set) of a feature virtkit cannot run yet. */
export function runtimeSupportIssues(object: unknown): Issue[] {
  const found = vmiSpecOf(object);
  if (!found) return [];
  const { spec, base } = found;
  const issues: Issue[] = [];
  const networks = Array.isArray(spec.networks) ? (spec.networks as Json[]) : [];
  networks.forEach((n, i) => {
    if (n?.multus && typeof n.multus === 'object')
      issues.push(
        error(
          `${base}.networks[${i}].multus`,
          `multus network ${show((n.multus as Json).networkName ?? '')} is not supported by virtkit yet (secondary networks are not wired on the nodes); remove the network and its interface, or use the pod network`,
          'runtime-support.multus',
        ),
      );
  });
  for (const kind of ['readinessProbe', 'livenessProbe'] as const) {
    const probe = spec[kind] as Json | undefined;
    if (!probe || typeof probe !== 'object') continue;
    const at = `${base}.${kind}`;
    if (probe.exec)
      issues.push(
        error(
          `${at}.exec`,
          'exec probes are not supported by virtkit yet; use tcpSocket, httpGet or guestAgentPing',
          'runtime-support.probe-exec',
        ),
      );
    for (const action of ['tcpSocket', 'httpGet'] as const) {
      const a = probe[action] as Json | undefined;
      if (!a || typeof a !== 'object') continue;
      if (typeof a.host === 'string' && a.host !== '')
        issues.push(
          error(
            `${at}.${action}.host`,
            `probing another host (${show(a.host)}) is not supported by virtkit yet; leave host out, the probe connects to the VMI's guest`,
            'runtime-support.probe-host',
          ),
        );
      if (typeof a.port === 'string' && !/^\d+$/.test(a.port))
        issues.push(
          error(
            `${at}.${action}.port`,
            `the named port ${show(a.port)} is not supported by virtkit yet; name the guest port by number, e.g. 8080`,
            'runtime-support.probe-named-port',
          ),
        );
    }
  }
  // The values are the user's: no control character reaches a terminal or a log line.
  return issues.map((i) => ({ ...i, message: printable(i.message) }));
}
