/**
 * What virtkit's runtime cannot run yet, refused up front with one message shape ("... is not
 * supported by virtkit yet; <fix>"), the way KubeVirt refuses a feature whose gate is off:
 * admission refuses the object (so `kubectl apply` and GitOps tools show it at once) and the node
 * handler refuses a VMI stored without the webhook. Valid KubeVirt, so the schema accepts it;
 * each entry goes when its feature lands. Pure.
 */
import { vmiSpecOf } from './feature-gates';
import { error, type Issue } from './validation/issue';

type Json = Record<string, unknown>;

/** Every use in `object` (a VM, VMI, pool or replica set) of a feature virtkit cannot run yet. */
export function runtimeSupportIssues(object: unknown): Issue[] {
  const found = vmiSpecOf(object);
  if (!found) return [];
  const { spec, base } = found;
  const issues: Issue[] = [];
  const networks = Array.isArray(spec.networks) ? (spec.networks as Json[]) : [];
  networks.forEach((n, i) => {
    if (n?.multus && typeof n.multus === 'object')
      issues.push(
        error(
          `${base}.networks[${i}].multus`,
          `multus network ${JSON.stringify((n.multus as Json).networkName ?? '')} is not supported by virtkit yet (secondary networks are not wired on the nodes); remove the network and its interface, or use the pod network`,
          'runtime-support.multus',
        ),
      );
  });
  return issues;
}
