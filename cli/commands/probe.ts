/**
 * `virtkit probe --guest-agent-ping`: the check kubelet execs in a launcher pod's compute
 * container for a VMI's guestAgentPing probe (KubeVirt's virt-probe; the controller renders the
 * exec, controller/vmi/launcher-probes.ts). It asks the launcher's control socket for the guest
 * agent's guest-ping within `--timeout-seconds` and exits 0 when the agent answered, 1 with one
 * line saying why not (kubelet puts it in the pod's Unhealthy Event), 2 on a usage error.
 *
 * It loads nothing but the launcher's client: kubelet runs it every period of every probed VM.
 */
import type { Command } from 'commander';
import { LAUNCHER_SOCKET_FILE, SOCKETS_DIR } from '../../api/kubevirt/v1/launcher-pod-layout';
import { LauncherApiError, LauncherClient } from '../../launcher/api/client';

export const DEFAULT_PROBE_SOCKET = `${SOCKETS_DIR}/${LAUNCHER_SOCKET_FILE}`;

/** The seconds of `--timeout-seconds`, or a usage error naming the flag, the value and the fix. */
export function probeTimeoutSeconds(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isInteger(n) || n < 1 || n > 86_400)
    throw new Error(
      `--timeout-seconds is ${JSON.stringify(value)}; use a whole number of seconds from 1 to 86400, e.g. --timeout-seconds 1`,
    );
  return n;
}

/** Runs one guest-ping; answers the exit code and the line to print (empty when it passed). */
export async function guestAgentPing(
  socket: string,
  timeoutSeconds: number,
): Promise<{ code: 0 | 1; message: string }> {
  try {
    await new LauncherClient(socket).guestPing(timeoutSeconds * 1000);
    return { code: 0, message: '' };
  } catch (e) {
    const why = e instanceof LauncherApiError ? e.detail : e instanceof Error ? e.message : String(e);
    return { code: 1, message: `guest agent ping failed: ${why}` };
  }
}

export function register(program: Command): void {
  program
    .command('probe')
    .description(
      "Check a running guest for kubelet (a guestAgentPing probe): asks the launcher's control socket for the guest agent's guest-ping.",
    )
    .option('--socket <path>', "the launcher's control socket", DEFAULT_PROBE_SOCKET)
    .option('--timeout-seconds <n>', 'how long the guest agent has to answer', '1')
    .option(
      '--guest-agent-ping',
      'ping the guest agent (the only check virtkit runs in the guest today)',
      false,
    )
    .action(async (opts: { socket: string; timeoutSeconds: string; guestAgentPing: boolean }) => {
      let timeout: number;
      try {
        timeout = probeTimeoutSeconds(opts.timeoutSeconds);
        if (!opts.guestAgentPing)
          throw new Error(
            'name the check to run: --guest-agent-ping (the only probe virtkit runs in the guest)',
          );
      } catch (e) {
        console.error(`virtkit probe: ${(e as Error).message}`);
        process.exitCode = 2;
        return;
      }
      const r = await guestAgentPing(opts.socket, timeout);
      if (r.message) console.error(r.message);
      process.exitCode = r.code;
    });
}
