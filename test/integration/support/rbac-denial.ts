/**
 * What the RBAC denial suites (component-rbac.test.ts, api-rbac.test.ts, handler-rbac.test.ts)
 * share: a component's ClusterRole split into single (verb, resource) grants, the role minus one
 * of them applied and awaited until the API server's authorizer says so, a kubeconfig that
 * authenticates as the component's ServiceAccount (a token, as its Deployment's pod would have),
 * for running the real command as a host process, and the 403 of a grant found in its log.
 */
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import type { PolicyRule } from '../../../api/install/rbac';
import { cacheRoot } from '../../../common/cache';
import { CLUSTER_ROLES, type KubeClient } from '../../../kube';
import { isAllowed } from '../../../kube/access-review';
import { eventually } from './eventually';
import { kubectl } from './kubectl';
import { readShared } from './shared-controlplane';

/** One granted (verb, resource): resource may carry a subresource ("virtualmachines/status"). */
export interface Grant {
  readonly group: string;
  readonly resource: string;
  readonly verb: string;
  /** The rule's resourceNames, when it grants the verb on those objects only. */
  readonly names?: readonly string[];
}

export const keyOf = (g: Grant): string => `${g.verb} ${g.resource}${g.group ? `.${g.group}` : ''}`;

export function grantsOf(rules: readonly PolicyRule[]): Grant[] {
  const seen = new Map<string, Grant>();
  for (const r of rules)
    for (const group of r.apiGroups)
      for (const resource of r.resources)
        for (const verb of r.verbs)
          seen.set(keyOf({ group, resource, verb }), {
            group,
            resource,
            verb,
            ...(r.resourceNames ? { names: r.resourceNames } : {}),
          });
  return [...seen.values()];
}

/**
 * The rules with exactly one (group, resource, verb) taken out, one rule per group, resource
 * and resourceNames (a grant limited to some objects stays limited to them).
 */
export function without(rules: readonly PolicyRule[], denied: Grant): PolicyRule[] {
  const verbs = new Map<
    string,
    { group: string; resource: string; names?: readonly string[]; verbs: Set<string> }
  >();
  for (const g of grantsOf(rules)) {
    if (keyOf(g) === keyOf(denied)) continue;
    const k = `${g.group}|${g.resource}|${g.names?.join(',') ?? ''}`;
    if (!verbs.has(k))
      verbs.set(k, {
        group: g.group,
        resource: g.resource,
        ...(g.names ? { names: g.names } : {}),
        verbs: new Set(),
      });
    verbs.get(k)!.verbs.add(g.verb);
  }
  return [...verbs.values()].map((v) => ({
    apiGroups: [v.group],
    resources: [v.resource],
    ...(v.names ? { resourceNames: v.names } : {}),
    verbs: [...v.verbs].sort(),
  }));
}

/**
 * A ClusterRole of the suite's own name (bound to the ServiceAccount by the suite), set to the
 * component's rules or to them minus one grant.
 */
export class RoleUnderTest {
  private lastDenied: Grant | undefined;

  constructor(
    private readonly admin: KubeClient,
    private readonly o: {
      readonly name: string;
      readonly namespace: string;
      readonly serviceAccount: string;
      readonly rules: readonly PolicyRule[];
    },
  ) {}

  /** Whether the ServiceAccount may do `g` in the suite's namespace now. */
  allowed(g: Grant): Promise<boolean> {
    const [resource, subresource] = g.resource.split('/');
    return isAllowed(
      this.admin,
      { user: `system:serviceaccount:${this.o.namespace}:${this.o.serviceAccount}` },
      {
        namespace: this.o.namespace,
        verb: g.verb,
        group: g.group,
        resource,
        ...(subresource ? { subresource } : {}),
        // A grant limited to some objects is asked about one of them.
        ...(g.names?.[0] ? { name: g.names[0] } : {}),
      },
    );
  }

  /** The role minus `denied` (or all of it); resolves once the API server's authorizer says so. */
  async grant(denied?: Grant): Promise<void> {
    await this.admin.apply(CLUSTER_ROLES, undefined, this.o.name, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: this.o.name, labels: { 'virtkit.io/it': this.o.namespace } },
      rules: denied ? without(this.o.rules, denied) : this.o.rules.map((r) => ({ ...r })),
    });
    const before = this.lastDenied;
    await eventually(
      `RBAC to ${denied ? `deny ${keyOf(denied)}` : 'grant the full role'}`,
      async () => {
        if (denied && (await this.allowed(denied))) return undefined;
        if (before && keyOf(before) !== (denied && keyOf(denied)) && !(await this.allowed(before)))
          return undefined;
        return true;
      },
      { timeoutMs: 30_000 },
    );
    this.lastDenied = denied;
  }
}

/** Writes (0600) a kubeconfig for the shared control plane as `namespace/serviceAccount`, with a one-hour token. */
export function writeServiceAccountKubeconfig(file: string, namespace: string, serviceAccount: string): void {
  const kc = parse(fs.readFileSync(readShared().kubeconfig, 'utf8')) as {
    clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
  };
  const token = kubectl([
    'create',
    'token',
    serviceAccount,
    '-n',
    namespace,
    '--duration',
    '1h',
  ]).stdout.trim();
  if (!/^ey/.test(token)) throw new Error(`kubectl create token ${serviceAccount} gave no token: ${token}`);
  fs.writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'it', cluster: kc.clusters[0].cluster }],
      users: [{ name: serviceAccount, user: { token } }],
      contexts: [{ name: 'it', context: { cluster: 'it', user: serviceAccount, namespace } }],
      'current-context': 'it',
    }),
    { mode: 0o600 },
  );
}

/** The environment of a component run from this checkout: a home of its own, no ambient cluster settings. */
export function componentEnv(dir: string, repoRoot: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: path.join(dir, 'home'),
    VIRTKIT_CACHE: cacheRoot(),
    TS_NODE_PROJECT: path.join(repoRoot, 'tsconfig.json'),
  };
  for (const k of ['KUBECONFIG', 'KUBERNETES_SERVICE_HOST', 'KUBERNETES_SERVICE_PORT', 'VIRTKIT_LOG_LEVEL'])
    delete env[k];
  return env;
}

/** Every message a component logged (its JSON lines' msg and err), quotes unescaped. */
export function logMessages(output: string): string[] {
  return output
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      try {
        const o = JSON.parse(l) as Record<string, unknown>;
        return [o.msg, o.err].filter((x) => typeof x === 'string').join(' ');
      } catch {
        return l;
      }
    });
}

/**
 * The 403 of `g` in a component's log: virtkit's "may not <verb> <resource>", and the server's
 * words for a subresource.
 */
export function forbiddenIn(output: string, g: Grant): string | undefined {
  const [base, sub] = g.resource.split('/');
  const described = g.group ? `${base}.${g.group}` : base;
  return logMessages(output).find(
    (m) =>
      m.includes('Forbidden') &&
      m.includes(`may not ${g.verb} ${described}`) &&
      (sub === undefined || m.includes(`resource "${g.resource}"`)),
  );
}

/** A component run as a host process (`virtkit <args>` from this checkout), its output kept. */
export interface ComponentProcess {
  readonly child: ChildProcess;
  /** stdout and stderr as they came. */
  output: string;
  readonly exited: Promise<number | null>;
}

/** Starts `node bin/virtkit.js <args>` in `dir` with componentEnv. */
export function startComponent(args: readonly string[], dir: string, repoRoot: string): ComponentProcess {
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'virtkit.js'), ...args], {
    cwd: dir,
    env: componentEnv(dir, repoRoot),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const c: ComponentProcess = {
    child,
    output: '',
    exited: new Promise((resolve) => child.on('close', (code) => resolve(code))),
  };
  child.stdout?.on('data', (d: Buffer) => (c.output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (c.output += d.toString()));
  return c;
}

/** SIGTERM (a graceful stop: a leader releases its lease), then SIGKILL if it does not exit. */
export async function stopComponent(c: ComponentProcess | undefined): Promise<void> {
  if (!c || c.child.exitCode !== null || c.child.signalCode !== null) return;
  c.child.kill('SIGTERM');
  const killed = setTimeout(() => c.child.kill('SIGKILL'), 15_000);
  await c.exited;
  clearTimeout(killed);
}
