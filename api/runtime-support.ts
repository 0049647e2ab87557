/**
 * What virtkit's runtime cannot run yet, refused up front with one message shape ("... is not
 * supported by virtkit yet; <fix>"), the way KubeVirt refuses a feature whose gate is off:
 * admission refuses the object (so `kubectl apply` and GitOps tools show it at once) and the node
 * handler refuses a VMI stored without the webhook. Valid KubeVirt, so the schema accepts it;
 * today: interface bindings other than masquerade and bridge (SR-IOV, macvtap, passt, slirp,
 * binding plugins), probes the node's prober cannot run (exec, another host, a named port), and
 * VirtualMachineSnapshots with snapshotMode External; each entry goes when its feature lands. Pure.
 */
import { vmiSpecOf } from './feature-gates';
import { error, show, type Issue } from './validation/issue';
import { printable } from './validation/printable';

type Json = Record<string, unknown>;

/** Interface bindings KubeVirt has and virtkit's launcher does not wire (masquerade and bridge it does). */
const UNSUPPORTED_BINDINGS = ['sriov', 'macvtap', 'passt', 'passtBinding', 'slirp', 'binding'] as const;

/** Every use in `object` (a VM, VMI, pool, replica set or VM snapshot) of a feature virtkit cannot run yet. */
export function runtimeSupportIssues(object: unknown): Issue[] {
  const snapshotIssue = snapshotModeIssue(object);
  if (snapshotIssue) return [snapshotIssue];
  const found = vmiSpecOf(object);
  if (!found) return [];
  const { spec, base } = found;
  const issues: Issue[] = [];
  const domain = spec.domain as Json | undefined;
  const devices = domain?.devices as Json | undefined;
  const interfaces = Array.isArray(devices?.interfaces) ? (devices.interfaces as Json[]) : [];
  interfaces.forEach((iface, i) => {
    if (!iface || typeof iface !== 'object') return;
    for (const binding of UNSUPPORTED_BINDINGS) {
      if (iface[binding] === undefined) continue;
      issues.push(
        error(
          `${base}.domain.devices.interfaces[${i}].${binding}`,
          `the ${binding === 'binding' ? `network binding plugin ${show((iface.binding as Json | undefined)?.name ?? '')}` : `${binding} binding`} is not supported by virtkit yet; use masquerade (the pod network) or bridge`,
          'runtime-support.binding',
        ),
      );
    }
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

/**
 * A VirtualMachineSnapshot with snapshotMode External (overlays that let the guest thaw before
 * the VolumeSnapshots exist): virtkit's snapshot controller takes Direct snapshots only.
 */
function snapshotModeIssue(object: unknown): Issue | undefined {
  const o = object as Json | null;
  if (o?.kind !== 'VirtualMachineSnapshot') return undefined;
  if ((o.spec as Json | undefined)?.snapshotMode !== 'External') return undefined;
  return error(
    'spec.snapshotMode',
    'snapshotMode External is not supported by virtkit yet; use Direct (the default: leave spec.snapshotMode out), which keeps the guest frozen until every VolumeSnapshot is taken',
    'runtime-support.snapshot-mode',
  );
}
