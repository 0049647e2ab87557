import {
  checkMigrationAddress,
  checkPluginDirs,
  kubeletNodeApiConfig,
  kubeletRuntimeProblem,
  nodeApiConfig,
  type HandlerFlags,
} from './handler';

const base: HandlerFlags = {
  stateDir: '/s',
  nodeApiAddress: '127.0.0.1',
  nodeApiPort: '8186',
  nodeApiAllowedClient: 'virtkit-api-node-client',
};

describe('virtkit handler --node-api-*', () => {
  it('serves no node API without its certificate', () => {
    expect(nodeApiConfig(base)).toBeUndefined();
  });

  it('takes the certificate, its key and the client CA together', () => {
    expect(
      nodeApiConfig({
        ...base,
        nodeApiPort: '0',
        nodeApiTlsCertFile: 'c',
        nodeApiTlsPrivateKeyFile: 'k',
        nodeApiClientCaFile: 'ca',
        nodeApiAllowedClient: 'a, b',
      }),
    ).toEqual({
      address: '127.0.0.1',
      port: 0,
      certFile: 'c',
      keyFile: 'k',
      clientCaFile: 'ca',
      allowedClients: ['a', 'b'],
    });
    expect(() => nodeApiConfig({ ...base, nodeApiTlsCertFile: 'c' })).toThrow(/go together/);
    const all = { nodeApiTlsCertFile: 'c', nodeApiTlsPrivateKeyFile: 'k', nodeApiClientCaFile: 'ca' };
    expect(() => nodeApiConfig({ ...base, ...all, nodeApiPort: '99999' })).toThrow(/not a TCP port/);
    expect(() => nodeApiConfig({ ...base, ...all, nodeApiAllowedClient: ' , ' })).toThrow(/at least one/);
  });
});

describe('virtkit handler --cni-plugin-dir', () => {
  it('takes absolute folders and refuses others, naming them', () => {
    expect(() =>
      checkPluginDirs(['/usr/lib/cni', '/root/.cache/virtkit/cni/whereabouts-v0.9.2']),
    ).not.toThrow();
    expect(() => checkPluginDirs(['/usr/lib/cni', 'bin', './x'])).toThrow(
      '--cni-plugin-dir "bin", "./x": not an absolute folder; give absolute paths such as /usr/lib/cni',
    );
  });
});

describe('virtkit handler --migration-address', () => {
  it('takes an IPv4 address and refuses anything else, naming the value', () => {
    expect(() => checkMigrationAddress(undefined)).not.toThrow();
    expect(() => checkMigrationAddress('10.251.2.4')).not.toThrow();
    for (const bad of ['$(POD_IP)', 'node-1', '10.0.0.300', ''])
      expect(() => checkMigrationAddress(bad)).toThrow(
        `--migration-address ${JSON.stringify(bad)}: not an IPv4 address`,
      );
  });

  it('is refused by the process runtime, whose handler listens on its Node address', () => {
    expect(kubeletRuntimeProblem({ ...base, migrationAddress: '10.0.0.1' })).toMatch(
      /^--migration-address is for --runtime kubelet/,
    );
    expect(
      kubeletRuntimeProblem({ ...base, runtime: 'kubelet', migrationAddress: '10.0.0.1' }),
    ).toBeUndefined();
  });
});

describe('virtkit handler --runtime', () => {
  const base = {
    stateDir: '/var/lib/virtkit',
    nodeApiAddress: '127.0.0.1',
    nodeApiPort: '0',
    nodeApiAllowedClient: 'x',
  };
  test('process (the default) and kubelet are the runtimes', () => {
    expect(kubeletRuntimeProblem(base)).toBeUndefined();
    expect(kubeletRuntimeProblem({ ...base, runtime: 'kubelet' })).toBeUndefined();
    expect(kubeletRuntimeProblem({ ...base, runtime: 'docker' })).toBe(
      '--runtime "docker": not a runtime; give process (this handler runs launcher pods) or kubelet (kubelet runs them)',
    );
  });
  test("the process runtime's flags are refused with kubelet, naming each", () => {
    expect(
      kubeletRuntimeProblem({
        ...base,
        runtime: 'kubelet',
        podCidr: '10.244.1.0/24',
        cniPluginDir: ['/opt/cni/bin'],
        registryMirror: ['a=b'],
      }),
    ).toBe(
      '--pod-cidr, --cni-plugin-dir: flags of the process runtime; with --runtime kubelet, kubelet runs the pods (its CNI wires them): drop them',
    );
    expect(kubeletRuntimeProblem({ ...base, devicePluginDir: '/x' })).toMatch(
      /^--device-plugin-dir is for --runtime kubelet/,
    );
  });
});

describe('virtkit handler --runtime kubelet --node-api-secret', () => {
  const kubelet: HandlerFlags = { ...base, runtime: 'kubelet', nodeApiAddress: '10.251.1.3' };
  test('serves the node API with the Secret in the pod namespace, on the pod address', () => {
    expect(
      kubeletNodeApiConfig(
        { ...kubelet, nodeApiSecret: 'virtkit-handler-certs' },
        { POD_NAMESPACE: 'virtkit' },
      ),
    ).toEqual({
      secret: { namespace: 'virtkit', name: 'virtkit-handler-certs' },
      address: '10.251.1.3',
      port: 8186,
      allowedClients: ['virtkit-api-node-client'],
    });
    expect(kubeletNodeApiConfig(kubelet, {})).toBeUndefined();
  });
  test('refuses what does not fit, naming the flags', () => {
    expect(() => kubeletNodeApiConfig({ ...kubelet, nodeApiSecret: 's' }, {})).toThrow(
      "--node-api-secret needs the Secret's namespace: --node-api-secret-namespace, or POD_NAMESPACE (the DaemonSet sets it)",
    );
    expect(() =>
      kubeletNodeApiConfig(
        { ...kubelet, nodeApiSecret: 's', nodeApiTlsCertFile: '/c' },
        { POD_NAMESPACE: 'v' },
      ),
    ).toThrow(/^--node-api-secret and the --node-api-\*-file flags exclude each other/);
    expect(() =>
      kubeletNodeApiConfig({ ...kubelet, nodeApiSecret: 's', nodeApiPort: 'x' }, { POD_NAMESPACE: 'v' }),
    ).toThrow('--node-api-port x: not a TCP port');
    expect(kubeletRuntimeProblem({ ...base, nodeApiSecret: 's' })).toMatch(
      /^--node-api-secret is for --runtime kubelet/,
    );
  });
});
