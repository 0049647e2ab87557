/**
 * `virtkit port-forward TYPE/NAME[/NAMESPACE] [tcp/]LOCAL[:REMOTE]... [--address A] [--stdio]`:
 * forwards local TCP ports to ports of a VM's guest, like `virtctl port-forward`, through the
 * API server (a websocket per connection to `subresources.kubevirt.io/v1/.../{virtualmachines|
 * virtualmachineinstances}/NAME/portforward/PORT/tcp`, subprotocol `plain.kubevirt.io`; RBAC:
 * `get` on `virtualmachines/portforward` or `virtualmachineinstances/portforward`).
 *
 * - TYPE is vm or vmi (virtctl's spellings: vms, virtualmachine(s), vmi(s),
 *   virtualmachineinstance(s)); /NAMESPACE overrides -n.
 * - Each port is LOCAL (the same port in the guest) or LOCAL:REMOTE; LOCAL 0 picks a free port.
 *   `udp/...` is refused: virtkit forwards tcp only so far.
 * - It prints kubectl's line per port, "Forwarding from 127.0.0.1:LOCAL -> REMOTE", then
 *   forwards every connection until SIGINT or SIGTERM. It first reads the VM or VMI, so a name
 *   that does not exist fails at once with the server's message.
 * - `--stdio`: one port, no listener: stdin goes to the guest's port and its answer to stdout
 *   (what `virtkit ssh` gives ssh as its ProxyCommand). Messages go to stderr.
 *
 * Exit codes: 0 stopped by a signal (or, with --stdio, the connection ended); 1 the server
 * refused (its message is printed) or a local port could not be opened; 2 usage.
 */
import type { Command } from 'commander';
import type WebSocket from 'ws';
import { bridgeWebSocketToStream, CloseCode, PLAIN_STREAM_PROTOCOL } from '../../common/plain-stream';
import type { KubeConfigOptions } from '../../kube/config';
import {
  SUBRESOURCE_VIRTUAL_MACHINE_INSTANCES,
  SUBRESOURCE_VIRTUAL_MACHINES,
  VIRTUAL_MACHINE_INSTANCES,
  VIRTUAL_MACHINES,
} from '../../kube/resources';
import { forwardProtocolOf, tcpPortOf, UDP_FORWARD_UNSUPPORTED } from '../../common/tcp-port';
import { addKubeFlags, connectionOf, type KubeFlags } from '../kube-flags';
import { WebSocketTcpProxy } from '../stream-proxy';
import { refusalMessage, usageExitCodes } from './vm-state';

export type ForwardKind = 'vm' | 'vmi';

export interface ForwardTarget {
  readonly kind: ForwardKind;
  readonly name: string;
  /** From TYPE/NAME/NAMESPACE; undefined: -n, else the context's namespace. */
  readonly namespace?: string;
}

export interface ForwardedPort {
  readonly local: number;
  readonly remote: number;
  readonly protocol: 'tcp';
}

export class ForwardUsageError extends Error {}

const KINDS: Record<string, ForwardKind> = {
  vm: 'vm',
  vms: 'vm',
  virtualmachine: 'vm',
  virtualmachines: 'vm',
  vmi: 'vmi',
  vmis: 'vmi',
  virtualmachineinstance: 'vmi',
  virtualmachineinstances: 'vmi',
};

/** `TYPE/NAME[/NAMESPACE]`, as virtctl reads it. Pure; throws ForwardUsageError. */
export function parseTarget(value: string): ForwardTarget {
  const parts = value.split('/');
  if (parts.length < 2)
    throw new ForwardUsageError(
      `${JSON.stringify(value)}: name the target as TYPE/NAME[/NAMESPACE], e.g. vm/web or vmi/web/prod`,
    );
  if (parts.length > 3)
    throw new ForwardUsageError(`${JSON.stringify(value)}: TYPE/NAME[/NAMESPACE] takes at most two '/'`);
  const [type, name, namespace] = parts;
  const kind = KINDS[type.toLowerCase()];
  if (!kind)
    throw new ForwardUsageError(
      `${JSON.stringify(value)}: unsupported resource type '${type}'; use vm or vmi`,
    );
  if (!name) throw new ForwardUsageError(`${JSON.stringify(value)}: the name is empty`);
  if (namespace === '') throw new ForwardUsageError(`${JSON.stringify(value)}: the namespace is empty`);
  return { kind, name, namespace };
}

function portNumber(text: string, what: string, arg: string, min: number): number {
  const port = tcpPortOf(text, min);
  if (port === undefined)
    throw new ForwardUsageError(
      `${JSON.stringify(arg)}: the ${what} port must be a number from ${min} to 65535, got ${JSON.stringify(text)}`,
    );
  return port;
}

/** `[tcp/]LOCAL[:REMOTE]`, as virtctl reads it (LOCAL alone: the same port in the guest). Pure. */
export function parsePortSpec(arg: string): ForwardedPort {
  let spec = arg;
  const slash = arg.indexOf('/');
  if (slash >= 0) {
    const text = arg.slice(0, slash);
    const protocol = forwardProtocolOf(text);
    spec = arg.slice(slash + 1);
    if (protocol === 'udp') throw new ForwardUsageError(`${JSON.stringify(arg)}: ${UDP_FORWARD_UNSUPPORTED}`);
    if (protocol !== 'tcp')
      throw new ForwardUsageError(
        `${JSON.stringify(arg)}: the protocol must be tcp (or udp), got '${text.toLowerCase()}'`,
      );
  }
  const [local, remote, extra] = spec.split(':');
  if (extra !== undefined || local === undefined || local === '')
    throw new ForwardUsageError(
      `${JSON.stringify(arg)}: write a port as LOCAL or LOCAL:REMOTE, e.g. 8080:80`,
    );
  const l = portNumber(local, 'local', arg, 0);
  const r = remote === undefined ? l : portNumber(remote, 'remote', arg, 1);
  if (r === 0)
    throw new ForwardUsageError(`${JSON.stringify(arg)}: local port 0 needs a remote port, e.g. 0:80`);
  return { local: l, remote: r, protocol: 'tcp' };
}

/** One target's ports through one API client, for the whole command (tests pass their own). */
export interface Forwarder {
  /** Reads the VM or VMI, so a wrong name fails before anything listens. Throws the API's error. */
  check(): Promise<void>;
  /** Opens one forward's websocket. */
  dial(port: ForwardedPort): Promise<WebSocket>;
  close(): void;
}

export type ForwarderFactory = (target: ForwardTarget, connection: KubeConfigOptions) => Promise<Forwarder>;

export const connectForwarder: ForwarderFactory = async (target, connection) => {
  const { KubeClient } = await import('../../kube/client');
  const api = KubeClient.connect({ ...connection, fieldManager: 'virtkit' });
  const vm = target.kind === 'vm';
  return {
    check: async () => {
      await api.get(vm ? VIRTUAL_MACHINES : VIRTUAL_MACHINE_INSTANCES, api.namespace, target.name);
    },
    dial: (port) =>
      api.openStream(
        vm ? SUBRESOURCE_VIRTUAL_MACHINES : SUBRESOURCE_VIRTUAL_MACHINE_INSTANCES,
        api.namespace,
        target.name,
        `portforward/${port.remote}/${port.protocol}`,
        { protocols: [PLAIN_STREAM_PROTOCOL] },
      ),
    close: () => api.close(),
  };
};

interface ForwardFlags extends KubeFlags {
  readonly address: string;
  readonly stdio?: boolean;
}

/**
 * --stdio: stdin to the guest's port, its answer to stdout; resolves with the exit code. A
 * guest that closes the connection before sending a byte (nothing listens on the port, as slirp
 * and masquerade accept first) is reported, exit code 1.
 */
async function forwardStdio(ws: WebSocket, port: ForwardedPort): Promise<number> {
  let received = 0;
  const stdio = new (await import('stream')).Duplex({
    read() {
      process.stdin.resume();
    },
    write(chunk: Buffer, _enc, done) {
      received += chunk.length;
      if (process.stdout.write(chunk)) done();
      else process.stdout.once('drain', () => done());
    },
    final(done) {
      done();
    },
  });
  process.stdin.on('data', (d: Buffer) => {
    if (!stdio.push(d)) process.stdin.pause();
  });
  process.stdin.on('end', () => stdio.push(null));
  const bridge = bridgeWebSocketToStream(ws, stdio);
  const end = await bridge.done;
  process.stdin.pause();
  if (end.by === 'websocket' && end.code !== CloseCode.normal && end.code !== 1005) {
    console.error(
      `virtkit port-forward: the connection ended (${end.code}${end.reason ? `: ${end.reason}` : ''})`,
    );
    return 1;
  }
  if (end.by === 'websocket' && received === 0) {
    console.error(
      `virtkit port-forward: the guest closed port ${port.remote} without sending anything (does anything listen on it?)`,
    );
    return 1;
  }
  return 0;
}

export function register(program: Command, connect: ForwarderFactory = connectForwarder): void {
  const cmd = program
    .command('port-forward')
    .description(
      "Forward local ports to ports of a VM's guest (like `virtctl port-forward`): TYPE/NAME[/NAMESPACE] [tcp/]LOCAL[:REMOTE]...",
    )
    .argument('<target>', 'vm/NAME or vmi/NAME, optionally /NAMESPACE')
    .argument('<ports...>', 'LOCAL (the same port in the guest) or LOCAL:REMOTE; LOCAL 0 picks a free one')
    .option('--address <address>', 'the local address to listen on', '127.0.0.1')
    .option('--stdio', "forward stdin/stdout to the single port instead of listening (ssh's ProxyCommand)");
  addKubeFlags(cmd, { namespace: true });
  usageExitCodes(cmd);
  cmd.action(async (targetArg: string, portArgs: string[], flags: ForwardFlags) => {
    let target: ForwardTarget;
    let ports: ForwardedPort[];
    try {
      target = parseTarget(targetArg);
      ports = portArgs.map(parsePortSpec);
      if (flags.stdio && ports.length !== 1)
        throw new ForwardUsageError('--stdio forwards exactly one port; name one');
    } catch (err) {
      cmd.error(`virtkit port-forward: ${(err as Error).message}`, { exitCode: 2, code: 'virtkit.usage' });
      return;
    }
    const connection = { ...connectionOf(flags), namespace: target.namespace ?? flags.namespace };
    const forwarder = await connect(target, connection);
    if (flags.stdio) {
      let ws: WebSocket;
      try {
        ws = await forwarder.dial(ports[0]);
      } catch (err) {
        console.error(`virtkit port-forward: ${refusalMessage(err)}`);
        process.exitCode = 1;
        return;
      } finally {
        forwarder.close();
      }
      process.exitCode = await forwardStdio(ws, ports[0]);
      return;
    }
    try {
      await forwarder.check();
    } catch (err) {
      forwarder.close();
      console.error(`virtkit port-forward: ${refusalMessage(err)}`);
      process.exitCode = 1;
      return;
    }
    const proxies: WebSocketTcpProxy[] = [];
    const stopAll = (): void => {
      for (const p of proxies) p.close();
      forwarder.close();
    };
    for (const port of ports) {
      const proxy = new WebSocketTcpProxy(
        () => forwarder.dial(port),
        (message) => console.error(`virtkit port-forward: ${message}`),
        `the forward to port ${port.remote}`,
      );
      proxies.push(proxy);
      try {
        const listening = await proxy.listen(port.local, flags.address);
        const shown = flags.address.includes(':') ? `[${flags.address}]` : flags.address;
        console.log(`Forwarding from ${shown}:${listening} -> ${port.remote}`);
      } catch (err) {
        stopAll();
        console.error(
          `virtkit port-forward: cannot listen on ${flags.address}:${port.local}: ${(err as Error).message}`,
        );
        process.exitCode = 1;
        return;
      }
    }
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
    stopAll();
  });
}
