/**
 * `virtkit handler`: the per-node agent (virt-handler's role, plus kubelet's in local mode).
 * Runs until SIGTERM or SIGINT; the launchers it started keep running and are adopted by the
 * next handler on this node. See docs/handler.md.
 */
import type { Command } from 'commander';
import * as net from 'net';
import * as path from 'path';
import { DEFAULT_NODE_API_PORT, NODE_API_CLIENT_NAME } from '../../common/node-api';
import { DEFAULT_STATE_DIR, Handler, type NodeApiConfig } from '../../handler/handler';
import { KubeletNodeHandler, type KubeletNodeApiConfig } from '../../handler/kubelet/handler';
import { parseRegistryMirror, type RegistryMirror } from '../../handler/images/policy';
import {
  addKubeFlags,
  addLogFlags,
  componentLogger,
  connectionOf,
  startOrExit,
  type KubeFlags,
  type LogFlags,
} from '../kube-flags';

export interface HandlerFlags extends KubeFlags, LogFlags {
  nodeName?: string;
  stateDir: string;
  nodeApiAddress: string;
  nodeApiPort: string;
  nodeApiTlsCertFile?: string;
  nodeApiTlsPrivateKeyFile?: string;
  nodeApiClientCaFile?: string;
  nodeApiAllowedClient: string;
  nodeApiSecret?: string;
  nodeApiSecretNamespace?: string;
  registryMirror?: string[];
  insecureRegistry?: string[];
  podCidr?: string;
  /** false with --no-kube-ovn (commander's default is true). */
  kubeOvn?: boolean;
  kubeOvnTunnelPort?: string;
  cniPluginDir?: string[];
  whereaboutsKubeconfig?: string;
  runtime?: string;
  devicePluginDir?: string;
  migrationAddress?: string;
}

/** Where launcher pods run: started by this handler (local mode), or by kubelet (cluster mode). */
export const HANDLER_RUNTIMES = ['process', 'kubelet'] as const;

/**
 * With --runtime kubelet, the flags of the process runtime are refused (pure): kubelet runs the
 * pods, its CNI wires them and containerd pulls their images. Returns the problem, or undefined.
 */
export function kubeletRuntimeProblem(flags: HandlerFlags): string | undefined {
  const runtime = flags.runtime ?? 'process';
  if (!(HANDLER_RUNTIMES as readonly string[]).includes(runtime))
    return `--runtime ${JSON.stringify(runtime)}: not a runtime; give process (this handler runs launcher pods) or kubelet (kubelet runs them)`;
  if (runtime !== 'kubelet') {
    if (flags.devicePluginDir !== undefined)
      return "--device-plugin-dir is for --runtime kubelet (the process runtime gives launchers the host's devices itself)";
    if (flags.migrationAddress !== undefined)
      return "--migration-address is for --runtime kubelet (the process runtime's handler is in its node's network namespace and listens on the Node's InternalIP)";
    if (flags.nodeApiSecret !== undefined)
      return '--node-api-secret is for --runtime kubelet; the process runtime reads its node API certificate from --node-api-tls-cert-file';
    return undefined;
  }
  const given = [
    flags.podCidr !== undefined && '--pod-cidr',
    flags.cniPluginDir?.length && '--cni-plugin-dir',
    flags.whereaboutsKubeconfig !== undefined && '--whereabouts-kubeconfig',
  ].filter((f): f is string => typeof f === 'string');
  return given.length
    ? `${given.join(', ')}: ${given.length === 1 ? 'a flag' : 'flags'} of the process runtime; with --runtime kubelet, kubelet runs the pods (its CNI wires them): drop ${given.length === 1 ? 'it' : 'them'}`
    : undefined;
}

import { DEFAULT_KUBE_OVN_TUNNEL_PORT, tunnelPortOption } from '../../handler/network/kubeovn/tunnel-plan';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/**
 * The node API's settings from the flags (pure): served when --node-api-tls-cert-file is given,
 * which then needs its key and the client CA. Throws a message naming the flag.
 */
export function nodeApiConfig(flags: HandlerFlags): NodeApiConfig | undefined {
  const given = [flags.nodeApiTlsCertFile, flags.nodeApiTlsPrivateKeyFile, flags.nodeApiClientCaFile];
  if (given.every((f) => f === undefined)) return undefined;
  if (given.some((f) => f === undefined))
    throw new Error(
      '--node-api-tls-cert-file, --node-api-tls-private-key-file and --node-api-client-ca-file go together: the node API needs its certificate, its key and the CA of its one client (virtkit api)',
    );
  const port = Number(flags.nodeApiPort);
  if (!/^\d+$/.test(String(flags.nodeApiPort)) || port > 65535)
    throw new Error(
      `--node-api-port ${flags.nodeApiPort}: not a TCP port; give a whole number from 0 to 65535`,
    );
  const allowed = flags.nodeApiAllowedClient
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n);
  if (!allowed.length)
    throw new Error('--node-api-allowed-client: name at least one client certificate common name');
  return {
    address: flags.nodeApiAddress,
    port,
    certFile: flags.nodeApiTlsCertFile!,
    keyFile: flags.nodeApiTlsPrivateKeyFile!,
    clientCaFile: flags.nodeApiClientCaFile!,
    allowedClients: allowed,
  };
}

/**
 * With --runtime kubelet, the node API's settings (pure): served when --node-api-secret names
 * the kubernetes.io/tls Secret (tls.crt, tls.key, ca.crt) the handler reads its certificate from
 * (cluster mode's install: the api or cert-manager makes it); the namespace is
 * --node-api-secret-namespace, else $POD_NAMESPACE.
 */
export function kubeletNodeApiConfig(
  flags: HandlerFlags,
  env: NodeJS.ProcessEnv = process.env,
): KubeletNodeApiConfig | undefined {
  if (flags.nodeApiSecret === undefined) return undefined;
  const files = [flags.nodeApiTlsCertFile, flags.nodeApiTlsPrivateKeyFile, flags.nodeApiClientCaFile];
  if (files.some((f) => f !== undefined))
    throw new Error(
      '--node-api-secret and the --node-api-*-file flags exclude each other: with --runtime kubelet the handler reads its certificates from the Secret',
    );
  const namespace = flags.nodeApiSecretNamespace ?? env.POD_NAMESPACE;
  if (!namespace)
    throw new Error(
      "--node-api-secret needs the Secret's namespace: --node-api-secret-namespace, or POD_NAMESPACE (the DaemonSet sets it)",
    );
  const file = nodeApiConfig({
    ...flags,
    nodeApiTlsCertFile: '-',
    nodeApiTlsPrivateKeyFile: '-',
    nodeApiClientCaFile: '-',
  })!;
  return {
    secret: { namespace, name: flags.nodeApiSecret },
    address: file.address,
    port: file.port,
    allowedClients: file.allowedClients,
  };
}

/** Refuses a --migration-address that is not an IPv4 address (pure). */
export function checkMigrationAddress(address: string | undefined): void {
  if (address !== undefined && !net.isIPv4(address))
    throw new Error(
      `--migration-address ${JSON.stringify(address)}: not an IPv4 address; give the address this handler is reached on from other nodes (the DaemonSet passes $(POD_IP))`,
    );
}

/** Refuses a --cni-plugin-dir that is not absolute (pure): plugins must not depend on the working directory. */
export function checkPluginDirs(dirs: readonly string[]): void {
  const bad = dirs.filter((d) => !path.isAbsolute(d) || d.includes('\0'));
  if (bad.length)
    throw new Error(
      `--cni-plugin-dir ${bad.map((d) => JSON.stringify(d)).join(', ')}: not an absolute folder; give absolute paths such as /usr/lib/cni`,
    );
}

/** Resolves on SIGTERM or SIGINT. */
function untilSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      process.off('SIGTERM', done);
      process.off('SIGINT', done);
      resolve();
    };
    process.on('SIGTERM', done);
    process.on('SIGINT', done);
  });
}

export function register(program: Command): void {
  const cmd = program
    .command('handler')
    .description(
      'Run the node handler: register this node, run launcher pods bound to it, and sync their VMIs (--runtime kubelet: on a kubelet node, label it schedulable and serve the kvm, tun and vhost-net device plugins).',
    );
  addLogFlags(addKubeFlags(cmd))
    .option('--node-name <name>', 'name of this node (default: $NODE_NAME, else the host name)')
    .option('--state-dir <dir>', 'pod directories, launcher work dirs and pid files', DEFAULT_STATE_DIR)
    .option(
      '--runtime <runtime>',
      "who runs launcher pods: 'process' (this handler, local mode) or 'kubelet' (a kubelet node; cluster mode's DaemonSet)",
      'process',
    )
    .option(
      '--device-plugin-dir <dir>',
      "with --runtime kubelet: kubelet's device-plugins folder (default: /var/lib/kubelet/device-plugins)",
    )
    .option(
      '--migration-address <addr>',
      "with --runtime kubelet: the IPv4 address migration targets' proxies listen on, published in the VMI's migrationState.targetNodeAddress (the DaemonSet gives the handler pod's own, as KubeVirt's virt-handler uses its pod address; default: the Node's InternalIP)",
    )
    .option(
      '--node-api-address <addr>',
      'address the node API listens on and publishes (annotation virtkit.io/handler-endpoint)',
      '127.0.0.1',
    )
    .option('--node-api-port <port>', 'node API port (0 picks a free one)', String(DEFAULT_NODE_API_PORT))
    .option('--node-api-tls-cert-file <file>', 'node API serving certificate (PEM); serves the node API')
    .option('--node-api-tls-private-key-file <file>', 'its private key (PEM)')
    .option('--node-api-client-ca-file <file>', "CA the caller's client certificate must chain to (PEM)")
    .option(
      '--node-api-allowed-client <names>',
      'common names of the client certificates allowed, comma-separated',
      NODE_API_CLIENT_NAME,
    )
    .option(
      '--node-api-secret <name>',
      'with --runtime kubelet: the kubernetes.io/tls Secret (tls.crt, tls.key, ca.crt) to serve the node API with, read through the API and again when renewed',
    )
    .option('--node-api-secret-namespace <ns>', "that Secret's namespace (default: $POD_NAMESPACE)")
    .option(
      '--registry-mirror <host=url>',
      'pull images of registry HOST from URL first (repeatable; e.g. docker.io=http://127.0.0.1:5000)',
      collect,
      [],
    )
    .option(
      '--insecure-registry <host>',
      'speak plain HTTP to this registry (repeatable; localhost and 127.0.0.1 always use HTTP)',
      collect,
      [],
    )
    .option(
      '--pod-cidr <cidr>',
      "range launcher pods' addresses come from (default: a free /24 of 10.244.0.0/16; kept in the state dir)",
    )
    .option(
      '--no-kube-ovn',
      "do not wire pods' Kube-OVN allocations (ovn.kubernetes.io/* annotations, kube-ovn NetworkAttachmentDefinitions): in a cluster that runs the real Kube-OVN, its own CNI does this",
    )
    .option(
      '--kube-ovn-tunnel-port <port>',
      "UDP port of this node's Kube-OVN tunnels (VXLAN devices joining a Subnet's bridges across nodes), published on its Node; 0 picks a free one and keeps it in the state dir (local mode)",
      String(DEFAULT_KUBE_OVN_TUNNEL_PORT),
    )
    .option(
      '--cni-plugin-dir <dir>',
      'absolute folder searched for CNI plugin binaries, in order (repeatable; default: $VIRTKIT_CNI_PLUGIN_DIRS, else /usr/lib/cni and /opt/cni/bin)',
      collect,
      [],
    )
    .option(
      '--whereabouts-kubeconfig <file>',
      "kubeconfig of the identity the whereabouts IPAM plugin runs as; the handler keeps a 0600 copy and whereabouts' flat file under <state-dir>/cni/whereabouts.d and points NADs' whereabouts IPAM at them",
    )
    .action(async (flags: HandlerFlags) => {
      const log = await componentLogger('virtkit-handler', flags);
      const runtimeProblem = kubeletRuntimeProblem(flags);
      if (runtimeProblem) {
        log.fatal(runtimeProblem);
        process.exit(2);
      }
      if (flags.runtime === 'kubelet') {
        const nodeName = flags.nodeName || process.env.NODE_NAME;
        if (!nodeName) {
          log.fatal(
            '--runtime kubelet needs the node name: --node-name, or NODE_NAME (the DaemonSet sets it)',
          );
          process.exit(2);
        }
        let kubeletMirrors: RegistryMirror[];
        let kubeletNodeApi: KubeletNodeApiConfig | undefined;
        try {
          kubeletMirrors = (flags.registryMirror ?? []).map(parseRegistryMirror);
          kubeletNodeApi = kubeletNodeApiConfig(flags);
          checkMigrationAddress(flags.migrationAddress);
        } catch (err) {
          log.fatal((err as Error).message);
          process.exit(2);
        }
        const kubeletHandler = new KubeletNodeHandler({
          connection: connectionOf(flags),
          nodeName,
          stateDir: flags.stateDir,
          log,
          ...(kubeletNodeApi ? { nodeApi: kubeletNodeApi } : {}),
          ...(flags.devicePluginDir !== undefined ? { devicePluginDir: flags.devicePluginDir } : {}),
          ...(flags.migrationAddress !== undefined ? { migrationAddress: flags.migrationAddress } : {}),
          registries: {
            mirrors: kubeletMirrors,
            insecure: (flags.insecureRegistry ?? []).map((h) => h.toLowerCase()),
          },
        });
        await startOrExit(log, () => kubeletHandler.start());
        await untilSignal();
        await kubeletHandler.stop();
        process.exit(0);
      }
      let nodeApi: NodeApiConfig | undefined;
      let mirrors: RegistryMirror[];
      let kubeOvnTunnelPort: number;
      try {
        kubeOvnTunnelPort = tunnelPortOption(flags.kubeOvnTunnelPort ?? String(DEFAULT_KUBE_OVN_TUNNEL_PORT));
        nodeApi = nodeApiConfig(flags);
        mirrors = (flags.registryMirror ?? []).map(parseRegistryMirror);
        checkPluginDirs(flags.cniPluginDir ?? []);
      } catch (err) {
        log.fatal((err as Error).message);
        process.exit(2);
      }
      const handler = new Handler({
        nodeApi,
        registries: { mirrors, insecure: (flags.insecureRegistry ?? []).map((h) => h.toLowerCase()) },
        connection: connectionOf(flags),
        log,
        nodeName: flags.nodeName,
        stateDir: flags.stateDir,
        ...(flags.podCidr !== undefined ? { podCidr: flags.podCidr } : {}),
        kubeOvn: flags.kubeOvn !== false,
        kubeOvnTunnelPort,
        ...(flags.cniPluginDir?.length ? { pluginDirs: flags.cniPluginDir } : {}),
        ...(flags.whereaboutsKubeconfig !== undefined
          ? { whereaboutsKubeconfig: flags.whereaboutsKubeconfig }
          : {}),
        version: program.version(),
      });
      await startOrExit(log, () => handler.start());
      await untilSignal();
      await handler.stop();
      process.exit(0);
    });
}
