/**
 * The compute container's readinessProbe and livenessProbe, from the VMI's (pure), the way
 * KubeVirt's launcher pods carry them: kubelet runs them against the pod, so the pod's Ready
 * (and a Service's endpoints) follows the guest, and a failed liveness probe makes kubelet stop
 * the compute container.
 *
 * - `tcpSocket` and `httpGet` are copied as they are: kubelet dials the pod's address, which the
 *   pod network's binding hands to the guest (masquerade forwards the port; bridge gives the
 *   guest the address).
 * - `guestAgentPing` becomes an exec of `virtkit probe --guest-agent-ping` in the compute
 *   container (KubeVirt's virt-probe), which asks the launcher's control socket for the guest
 *   agent's guest-ping within the probe's timeout; the container probe gets one second more for
 *   the command's own start, as KubeVirt adds.
 * - The timing fields (initial delay, timeout, period, thresholds) are copied.
 *
 * `exec` probes run a command in the guest, which virtkit's launcher cannot do yet: admission
 * refuses them (api/runtime-support.ts), and none is rendered here. In local mode the handler
 * plays kubelet and runs the VMI's probes itself (handler/probes/); these container probes are
 * what kubelet runs on kubelet nodes.
 */
import type { Probe } from '../../api/kubevirt/v1/probes';
import { LAUNCHER_SOCKET_FILE, SOCKETS_DIR } from '../../api/kubevirt/v1/launcher-pod-layout';

/** The command kubelet execs for a guestAgentPing probe (the launcher image has `virtkit`). */
export const PROBE_COMMAND = ['virtkit', 'probe'] as const;
/** kubelet's default probe timeout, which the VMI's probe has too. */
const DEFAULT_TIMEOUT_SECONDS = 1;

/** A container probe (core/v1 Probe), as far as launcher pods use it. */
export interface ContainerProbe {
  exec?: { command: string[] };
  httpGet?: Record<string, unknown>;
  tcpSocket?: Record<string, unknown>;
  initialDelaySeconds?: number;
  timeoutSeconds?: number;
  periodSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
}

/** The container probe kubelet runs for one of the VMI's probes; undefined for none (or exec). */
export function containerProbe(probe: Probe | undefined): ContainerProbe | undefined {
  if (!probe) return undefined;
  const timing: ContainerProbe = {};
  for (const f of [
    'initialDelaySeconds',
    'timeoutSeconds',
    'periodSeconds',
    'successThreshold',
    'failureThreshold',
  ] as const)
    if (typeof probe[f] === 'number') timing[f] = probe[f];
  if (probe.tcpSocket) return { ...timing, tcpSocket: { ...probe.tcpSocket } };
  if (probe.httpGet) return { ...timing, httpGet: { ...probe.httpGet } };
  if (probe.guestAgentPing) {
    const timeout = timing.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
    return {
      ...timing,
      exec: {
        command: [
          ...PROBE_COMMAND,
          '--socket',
          `${SOCKETS_DIR}/${LAUNCHER_SOCKET_FILE}`,
          '--timeout-seconds',
          String(timeout),
          '--guest-agent-ping',
        ],
      },
      timeoutSeconds: timeout + 1,
    };
  }
  return undefined;
}

/** The compute container's probes for a VMI spec (only those it has). */
export function launcherProbes(spec: { readinessProbe?: Probe; livenessProbe?: Probe }): {
  readinessProbe?: ContainerProbe;
  livenessProbe?: ContainerProbe;
} {
  const readinessProbe = containerProbe(spec.readinessProbe);
  const livenessProbe = containerProbe(spec.livenessProbe);
  return { ...(readinessProbe ? { readinessProbe } : {}), ...(livenessProbe ? { livenessProbe } : {}) };
}
