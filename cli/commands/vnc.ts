/**
 * `virtkit vnc NAME [--proxy-only] [--port N] [--address A]`: the VNC display of a running VMI,
 * like `virtctl vnc`, through the API server (a websocket to
 * `subresources.kubevirt.io/v1/.../virtualmachineinstances/NAME/vnc`, subprotocol
 * `plain.kubevirt.io`, raw RFB; RBAC: `get` on `virtualmachineinstances/vnc`).
 *
 * It listens on a local TCP port (--address, default 127.0.0.1; --port, default any free one)
 * and joins every viewer that connects to its own websocket. The first websocket is opened
 * before anything else, so a VMI that does not exist or does not run fails at once with the
 * server's message.
 *
 * - `--proxy-only`: prints `{"port":N}` on stdout (virtctl's line) and proxies until SIGINT or
 *   SIGTERM; point any VNC viewer at ADDRESS:N.
 * - otherwise: starts `remote-viewer` (virt-viewer) or else `vncviewer` (TigerVNC), whichever
 *   is installed (virtctl's choice on Linux), and ends when the viewer exits. With none
 *   installed it says so and how to use `--proxy-only`.
 *
 * As in KubeVirt, a new VNC session of a VMI cuts the open one.
 *
 * Exit codes: 0 the viewer exited or the proxy was stopped; 1 the server refused (its message is
 * printed), no viewer is installed, or the viewer failed; 2 usage.
 */
import { spawn, spawnSync } from 'child_process';
import type { Command } from 'commander';
import type WebSocket from 'ws';
import { PLAIN_STREAM_PROTOCOL } from '../../common/plain-stream';
import type { KubeConfigOptions } from '../../kube/config';
import { SUBRESOURCE_VIRTUAL_MACHINE_INSTANCES } from '../../kube/resources';
import { tcpPortOf } from '../../common/tcp-port';
import { addKubeFlags, connectionOf, type KubeFlags } from '../kube-flags';
import { WebSocketTcpProxy } from '../stream-proxy';
import { refusalMessage, usageExitCodes } from './vm-state';

export interface VncFlags extends KubeFlags {
  readonly proxyOnly?: boolean;
  readonly port?: string;
  readonly address?: string;
}

/** Opens a VNC websocket; tests pass their own. */
export type VncDialer = (name: string, connection: KubeConfigOptions) => Promise<WebSocket>;

export const dialVnc: VncDialer = async (name, connection) => {
  const { KubeClient } = await import('../../kube/client');
  const api = KubeClient.connect({ ...connection, fieldManager: 'virtkit' });
  try {
    return await api.openStream(SUBRESOURCE_VIRTUAL_MACHINE_INSTANCES, api.namespace, name, 'vnc', {
      protocols: [PLAIN_STREAM_PROTOCOL],
    });
  } finally {
    api.close();
  }
};

/** --port: 0 (any free port) to 65535. Throws with the usage message. Pure. */
export function parsePort(value: string | undefined): number {
  if (value === undefined) return 0;
  const port = tcpPortOf(value.trim(), 0);
  if (port === undefined) throw new Error(`--port ${value}: not a TCP port (0 to 65535; 0 picks a free one)`);
  return port;
}

/** A VNC viewer installed on this machine and how to point it at a port (virtctl's order on Linux). */
export function findViewer(
  onPath: (binary: string) => boolean = (b) => spawnSync('sh', ['-c', `command -v ${b}`]).status === 0,
): { binary: string; args: (address: string, port: number) => string[] } | undefined {
  if (onPath('remote-viewer'))
    return { binary: 'remote-viewer', args: (a, p) => [`vnc://${a.includes(':') ? `[${a}]` : a}:${p}`] };
  // TigerVNC and TightVNC read HOST::PORT as a port (HOST:N would be display N).
  if (onPath('vncviewer')) return { binary: 'vncviewer', args: (a, p) => [`${a}::${p}`] };
  return undefined;
}

export function register(program: Command, dial: VncDialer = dialVnc): void {
  const cmd = program
    .command('vnc')
    .description(
      'Open the VNC display of a running VMI (like `virtctl vnc`): a viewer, or a local proxy port',
    )
    .argument('<name>', "the VirtualMachineInstance (a VM's VMI has the VM's name)")
    .option('--proxy-only', 'only run the local proxy: print {"port":N} and wait for viewers')
    .option('--port <port>', 'the local port to listen on (default: any free port)')
    .option('--address <address>', 'the local address to listen on', '127.0.0.1');
  addKubeFlags(cmd, { namespace: true });
  usageExitCodes(cmd);
  cmd.action(async (name: string, flags: VncFlags) => {
    let port: number;
    try {
      port = parsePort(flags.port);
    } catch (err) {
      cmd.error(`virtkit vnc: ${(err as Error).message}`, { exitCode: 2, code: 'virtkit.usage' });
      return;
    }
    const address = flags.address ?? '127.0.0.1';
    const connection = connectionOf(flags);
    const viewer = flags.proxyOnly ? undefined : findViewer();
    if (!flags.proxyOnly && !viewer) {
      console.error(
        `virtkit vnc: no VNC viewer found (remote-viewer from virt-viewer, or vncviewer from TigerVNC); install one, or run \`virtkit vnc ${name} --proxy-only\` and point any VNC viewer at the 127.0.0.1 port it prints`,
      );
      process.exitCode = 1;
      return;
    }
    let first: WebSocket;
    try {
      first = await dial(name, connection);
    } catch (err) {
      console.error(`virtkit vnc: ${refusalMessage(err)}`);
      process.exitCode = 1;
      return;
    }
    const proxy = new WebSocketTcpProxy(
      () => dial(name, connection),
      (message) => console.error(`virtkit vnc: ${message}`),
      'the VNC session',
    );
    proxy.prime(first);
    let listening: number;
    try {
      listening = await proxy.listen(port, address);
    } catch (err) {
      first.close();
      console.error(`virtkit vnc: cannot listen on ${address}:${port}: ${(err as Error).message}`);
      process.exitCode = 1;
      return;
    }
    const stopped = new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
    if (flags.proxyOnly || !viewer) {
      console.log(JSON.stringify({ port: listening }));
      process.stderr.write(`VNC of ${name} on ${address}:${listening}; Ctrl+C stops the proxy\n`);
      await stopped;
      proxy.close();
      return;
    }
    const child = spawn(viewer.binary, viewer.args(address, listening), { stdio: 'inherit' });
    const exit = await Promise.race([
      new Promise<number>((resolve) => {
        child.once('exit', (code) => resolve(code ?? 1));
        child.once('error', (err) => {
          console.error(`virtkit vnc: ${viewer.binary} failed: ${err.message}`);
          resolve(1);
        });
      }),
      stopped.then(() => {
        child.kill('SIGTERM');
        return 0;
      }),
    ]);
    proxy.close();
    process.exitCode = exit === 0 ? 0 : 1;
  });
}
