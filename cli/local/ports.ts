/** Loopback ports: pick free ones, or check that a requested one is free. */
import * as net from 'net';
import { PortInUseError } from './errors';

function listen(port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => resolve(server));
  });
}

function close(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * Reserve one port per requested component: a given number is checked (PortInUseError when
 * taken), an undefined one gets a free port from the kernel. All probes stay open until every
 * port is known, so two components never receive the same number.
 */
export async function reservePorts<K extends string>(
  wanted: Readonly<Record<K, number | undefined>>,
): Promise<Record<K, number>> {
  const held: net.Server[] = [];
  const result = {} as Record<K, number>;
  try {
    for (const component of Object.keys(wanted) as K[]) {
      const requested = wanted[component];
      let server: net.Server;
      try {
        server = await listen(requested ?? 0);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE' && requested !== undefined) {
          throw new PortInUseError(component, requested);
        }
        throw err;
      }
      held.push(server);
      result[component] = (server.address() as net.AddressInfo).port;
    }
  } finally {
    await Promise.all(held.map(close));
  }
  return result;
}

/** True when something accepts TCP connections on 127.0.0.1:port. */
export function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
