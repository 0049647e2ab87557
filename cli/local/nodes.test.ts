import {
  handlerStateDir,
  isVirtkitComponent,
  localComponents,
  localNodeName,
  type ComponentContext,
} from './components';
import { parseNodeCount } from './cli-options';
import { layout } from './layout';

const ctx = {
  layout: layout('/s'),
  kubeconfig: '/s/kubeconfig',
  server: 'https://127.0.0.1:6443',
  binaries: {},
  apiPort: 9000,
  handlerNodeApiPort: 9001,
  extraNodeApiPorts: [9002, 9003],
} as unknown as ComponentContext;

function flag(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i < 0 ? undefined : args[i + 1];
}

describe('virtkit up --nodes N', () => {
  it('starts one handler per node, each with its own node name, state dir and node API port', () => {
    const handlers = localComponents(3).filter((c) => c.name.startsWith('virtkit-handler'));
    expect(handlers.map((c) => c.name)).toEqual([
      'virtkit-handler',
      'virtkit-handler-2',
      'virtkit-handler-3',
    ]);
    const args = handlers.map((h) => h.process(ctx).args);
    expect(args.map((a) => flag(a, '--node-name'))).toEqual([undefined, localNodeName(2), localNodeName(3)]);
    expect(args.map((a) => flag(a, '--state-dir'))).toEqual(['/s/handler', '/s/handler-2', '/s/handler-3']);
    expect(args.map((a) => flag(a, '--node-api-port'))).toEqual(['9001', '9002', '9003']);
  });

  it('keeps the single-node layout by default', () => {
    expect(localComponents().map((c) => c.name)).toEqual([
      'virtkit-api',
      'virtkit-controller',
      'virtkit-handler',
    ]);
    expect(handlerStateDir('/s')).toBe('/s/handler');
  });

  it('names extra nodes after the host as a DNS label', () => {
    expect(localNodeName(2, 'Build_Box.example')).toBe('build-box-example-2');
    expect(localNodeName(4, '___')).toBe('node-4');
  });

  it('counts every node handler as virtkit’s own component (stopped before the guests)', () => {
    expect(isVirtkitComponent('virtkit-handler-2')).toBe(true);
    expect(isVirtkitComponent('kube-apiserver')).toBe(false);
  });

  it('refuses a node count out of range, naming the flag and the value', () => {
    expect(parseNodeCount('2')).toBe(2);
    expect(() => parseNodeCount('0')).toThrow(
      "--nodes: '0' is not a node count; give a whole number from 1 to 8",
    );
    expect(() => parseNodeCount('2.5')).toThrow(/--nodes: '2.5'/);
    expect(() => localComponents(9)).toThrow(/--nodes: 9/);
  });
});
