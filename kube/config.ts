/**
 * Which cluster, user and namespace a command or component talks to, resolved exactly as kubectl
 * resolves them: `--kubeconfig`, else `KUBECONFIG` (a colon-separated list of files, merged,
 * the first file's current-context winning), else `~/.kube/config`, else the pod's ServiceAccount
 * (in-cluster). `--context` picks a context; the namespace is `-n`, else the context's, else
 * `default` (in a pod: the ServiceAccount's namespace file).
 *
 * The KubeConfig comes from @kubernetes/client-node, so every authentication method it knows
 * works: client certificates, bearer tokens, token files, exec plugins and auth providers.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { KubeConfig } from '@kubernetes/client-node';

/** Where a pod finds its ServiceAccount token, CA and namespace. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface KubeConfigOptions {
  /** A kubeconfig file (`--kubeconfig`); wins over everything else. */
  readonly kubeconfig?: string;
  /** A context of the kubeconfig (`--context`); @default its current-context */
  readonly context?: string;
  /** The namespace (`-n/--namespace`); @default the context's, else `default` */
  readonly namespace?: string;
  /** The environment to read KUBECONFIG, HOME and the in-cluster variables from. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
}

/** A kubeconfig (or in-cluster configuration) ready to use, and where it came from. */
export interface ResolvedKubeConfig {
  readonly kubeConfig: KubeConfig;
  /** For messages: "kubeconfig /root/.kube/config" or "in-cluster ServiceAccount (/var/run/...)". */
  readonly source: string;
  readonly context: string;
  /** The user entry's name (in-cluster: the ServiceAccount). */
  readonly user: string;
  readonly namespace: string;
  readonly server: string;
}

/** The configuration could not be found or read; the message says what was tried and the fix. */
export class KubeConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KubeConfigError';
  }
}

function loadFiles(files: readonly string[], origin: string): KubeConfig {
  const kc = new KubeConfig();
  files.forEach((file, i) => {
    if (!fs.existsSync(file))
      throw new KubeConfigError(
        `kubeconfig ${file} (from ${origin}) does not exist; fix the path, or run \`virtkit up\` and use the KUBECONFIG it prints`,
      );
    try {
      if (i === 0) kc.loadFromFile(file);
      else {
        // Later files add clusters, users and contexts; the first file's names and current-context win.
        const more = new KubeConfig();
        more.loadFromFile(file);
        const known = (list: readonly { name: string }[], name: string): boolean =>
          list.some((x) => x.name === name);
        more.clusters.filter((c) => !known(kc.clusters, c.name)).forEach((c) => kc.addCluster(c));
        more.users.filter((u) => !known(kc.users, u.name)).forEach((u) => kc.addUser(u));
        more.contexts.filter((c) => !known(kc.contexts, c.name)).forEach((c) => kc.addContext(c));
        if (!kc.currentContext && more.currentContext) kc.setCurrentContext(more.currentContext);
      }
    } catch (err) {
      throw new KubeConfigError(
        `kubeconfig ${file} (from ${origin}) cannot be read: ${(err as Error).message}`,
      );
    }
  });
  return kc;
}

function inCluster(env: NodeJS.ProcessEnv): { kc: KubeConfig; dir: string } | undefined {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  // VIRTKIT_SERVICE_ACCOUNT_DIR moves the mount point, for running a component outside a pod as one.
  const dir = env.VIRTKIT_SERVICE_ACCOUNT_DIR || SERVICE_ACCOUNT_DIR;
  const token = path.join(dir, 'token');
  if (!host || !port || !fs.existsSync(token)) return undefined;
  const server = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const nsFile = path.join(dir, 'namespace');
  const namespace = fs.existsSync(nsFile) ? fs.readFileSync(nsFile, 'utf8').trim() : undefined;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'in-cluster', server, caFile: path.join(dir, 'ca.crt'), skipTLSVerify: false }],
    // The tokenFile provider re-reads the file every minute: kubelet rotates projected tokens.
    users: [{ name: 'serviceaccount', authProvider: { name: 'tokenFile', config: { tokenFile: token } } }],
    contexts: [{ name: 'in-cluster', cluster: 'in-cluster', user: 'serviceaccount', namespace }],
    currentContext: 'in-cluster',
  });
  return { kc, dir };
}

/** Resolve the configuration as kubectl does; throws KubeConfigError naming what was tried. */
export function resolveKubeConfig(options: KubeConfigOptions = {}): ResolvedKubeConfig {
  const env = options.env ?? process.env;
  let kc: KubeConfig;
  let source: string;
  if (options.kubeconfig) {
    kc = loadFiles([path.resolve(options.kubeconfig)], '--kubeconfig');
    source = `kubeconfig ${path.resolve(options.kubeconfig)}`;
  } else if (env.KUBECONFIG) {
    const files = env.KUBECONFIG.split(path.delimiter).filter(Boolean);
    kc = loadFiles(files, 'KUBECONFIG');
    source = `kubeconfig ${files.join(path.delimiter)} (KUBECONFIG)`;
  } else {
    const home = env.HOME || os.homedir();
    const file = path.join(home, '.kube', 'config');
    const pod = fs.existsSync(file) ? undefined : inCluster(env);
    if (fs.existsSync(file)) {
      kc = loadFiles([file], '~/.kube/config');
      source = `kubeconfig ${file}`;
    } else if (pod) {
      kc = pod.kc;
      source = `in-cluster ServiceAccount (${pod.dir})`;
    } else {
      throw new KubeConfigError(
        `no Kubernetes configuration: --kubeconfig not given, KUBECONFIG not set, ${file} missing, and not in a pod (KUBERNETES_SERVICE_HOST or the ServiceAccount token is missing); pass --kubeconfig FILE, or run \`virtkit up\` and export the KUBECONFIG it prints`,
      );
    }
  }
  if (options.context) {
    if (!kc.getContextObject(options.context))
      throw new KubeConfigError(
        `${source}: context "${options.context}" does not exist; choose one of: ${kc.contexts.map((c) => c.name).join(', ') || '(none)'}`,
      );
    kc.setCurrentContext(options.context);
  }
  const context = kc.getCurrentContext();
  const ctx = kc.getContextObject(context);
  if (!ctx)
    throw new KubeConfigError(
      `${source}: ${context ? `current-context "${context}" does not exist` : 'no current-context is set'}; pass --context NAME or set current-context`,
    );
  const cluster = kc.getCluster(ctx.cluster);
  if (!cluster)
    throw new KubeConfigError(
      `${source}: context "${context}" names cluster "${ctx.cluster}", which is not defined`,
    );
  if (ctx.user && !kc.getUser(ctx.user))
    throw new KubeConfigError(
      `${source}: context "${context}" names user "${ctx.user}", which is not defined`,
    );
  return {
    kubeConfig: kc,
    source,
    context,
    user: ctx.user || '(none)',
    namespace: options.namespace || ctx.namespace || 'default',
    server: cluster.server,
  };
}
