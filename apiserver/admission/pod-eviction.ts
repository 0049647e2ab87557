/**
 * Admission of pod evictions (`POST pods/NAME/eviction`, what `kubectl drain` and the descheduler
 * send): the role of KubeVirt's pod-eviction admitter, served at POD_EVICTION_PATH. A pod that
 * carries a guest is not simply deleted when its VMI wants to be moved instead.
 *
 * For a running virt-launcher pod (label `kubevirt.io=virt-launcher`, VMI named by its annotation
 * `kubevirt.io/domain` in its namespace) the effective eviction strategy decides, in KubeVirt's
 * order: the VMI's `spec.evictionStrategy`, else the cluster's KubeVirt
 * `spec.configuration.evictionStrategy`, else none (KubeVirt has no default of its own; the
 * LiveMigrate default some distributions show is their operator writing it into the KubeVirt
 * object):
 *
 *   - none or `None`: allowed; the pod goes, the VMI ends and its VM's run strategy decides what
 *     comes next;
 *   - `LiveMigrate`: a VMI whose `LiveMigratable` condition is not True is refused ("VMI NAME is
 *     configured with an eviction strategy but is not live-migratable"); a migratable one is
 *     marked for evacuation;
 *   - `LiveMigrateIfPossible`: marked when migratable, else allowed;
 *   - `External`: always marked (an external controller, not virtkit, moves or stops it).
 *
 * Marking sets the VMI's `status.evacuationNodeName` to the pod's node (once; the evacuation
 * controller then migrates it away) and refuses the eviction ("Eviction triggered evacuation of
 * VMI "NS/NAME""). A VMI already marked refuses with "Evacuation in progress: ...", and a pod on
 * another node than the VMI's (a migration's target, or the source the guest has just left) with
 * "Eviction request for target Pod", KubeVirt's sentence for both.
 * Every refusal is a 429 TooManyRequests, KubeVirt's code: `kubectl drain` retries it every 5 s
 * until the migration has removed the pod (the descheduler recognises "Eviction triggered
 * evacuation"). KubeVirt's sentence comes first; virtkit adds what is happening and what to do.
 *
 * A hotplug attachment pod (`kubevirt.io=hotplug-disk`, owned by a launcher pod) whose VMI exists
 * is refused: it goes with the launcher pod.
 *
 * Where virtkit differs from KubeVirt: a lookup that fails refuses (429) instead of admitting
 * unchecked (the webhook fails closed; there is no PodDisruptionBudget behind it); a launcher pod
 * whose VMI is gone or has ended, or that is not bound to a node, is allowed (no guest to keep);
 * an eviction strategy that is not one of KubeVirt's four (a typo in the KubeVirt object, which
 * is not validated) is refused naming the field, rather than treated as none.
 *
 * The decisions are pure (evictionVerdict, hotplugVerdict); admitPodEviction reads what they need
 * through a PodEvictionLookup (./pod-eviction-lookup.ts) and writes the mark through it. A
 * dry-run eviction marks with dryRun=All: checked by the API server, stored nowhere.
 */
import { HOTPLUG_POD_LABEL_VALUE } from '../../api/cdi/worker-pod';
import { LIVE_MIGRATABLE_CONDITION } from '../../api/kubevirt/v1/live-migratable';
import { isMigrationTargetPod } from '../../api/kubevirt/v1/migration-labels';
import { EVICTION_STRATEGIES } from '../../api/kubevirt/v1/vmi';
import {
  clusterEvictionStrategy,
  vmiEvictionStrategy,
  type StrategySource,
} from '../../api/kubevirt/v1/eviction-strategy';
import { dns1123SubdomainProblems } from '../../api/validation/dns-names';
import { printable } from '../../api/validation/printable';
import type { AdmissionRequest, AdmissionReview } from './review';

type Json = Record<string, unknown>;

// The strategy lookup moved to api/ (the evacuation controller decides from it too).
export { clusterEvictionStrategy, vmiEvictionStrategy, type StrategySource };

/** KubeVirt's app label on its pods, and its values on launcher and hotplug attachment pods. */
export const APP_LABEL = 'kubevirt.io';
export const LAUNCHER_APP = 'virt-launcher';
/** KubeVirt's annotation on a launcher pod: the name of its VMI (same namespace). */
export const DOMAIN_ANNOTATION = 'kubevirt.io/domain';

/** What the eviction rules read from the cluster, and the one write they make. */
export interface PodEvictionLookup {
  /** The pod `namespace`/`name`; undefined when it does not exist. */
  pod(namespace: string, name: string): Promise<Json | undefined>;
  /** The VMI `namespace`/`name`; undefined when it does not exist. */
  vmi(namespace: string, name: string): Promise<Json | undefined>;
  /** Every KubeVirt object of the cluster (none when the CRD is not installed). */
  kubevirts(): Promise<readonly Json[]>;
  /** Apply evacuationPatch(mark) to the VMI's status subresource (dryRun=All when `mark.dryRun`). */
  markForEvacuation(mark: EvacuationMark): Promise<void>;
}

/** The VMI to mark, the node it is to leave, and whether the eviction was a dry run. */
export interface EvacuationMark {
  readonly namespace: string;
  readonly name: string;
  /** The VMI's uid: a VMI recreated under the same name is not marked by mistake. */
  readonly uid?: string;
  readonly nodeName: string;
  readonly dryRun: boolean;
}

/**
 * What to answer: allow; refuse with a status code and a message; or mark the VMI for evacuation
 * (its node `nodeName`) and then refuse with `message`.
 */
export type EvictionVerdict =
  | { readonly verdict: 'allow'; readonly why: string }
  | { readonly verdict: 'deny'; readonly code: number; readonly message: string }
  | { readonly verdict: 'mark'; readonly nodeName: string; readonly message: string };

const TOO_MANY_REQUESTS = 429;

const obj = (v: unknown): Json | undefined =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
const meta = (o: Json | undefined): Json => obj(o?.metadata) ?? {};
const labelsOf = (o: Json | undefined): Json => obj(meta(o).labels) ?? {};
const annotationsOf = (o: Json | undefined): Json => obj(meta(o).annotations) ?? {};
const nameOf = (o: Json | undefined): string => str(meta(o).name) ?? '';

const allow = (why: string): EvictionVerdict => ({ verdict: 'allow', why });
// Names, node names and condition messages are the user's: no control character reaches a terminal.
const deny = (message: string): EvictionVerdict => ({
  verdict: 'deny',
  code: TOO_MANY_REQUESTS,
  message: printable(message),
});

/** A pod that has ended holds nothing (KubeVirt's isCompleted). */
function hasEnded(pod: Json): boolean {
  const phase = obj(pod.status)?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

export function isLauncherPod(pod: Json): boolean {
  return labelsOf(pod)[APP_LABEL] === LAUNCHER_APP;
}

/** KubeVirt's test: the hotplug label and exactly one owner (the launcher pod). */
export function isHotplugPod(pod: Json): boolean {
  const owners = meta(pod).ownerReferences;
  return labelsOf(pod)[APP_LABEL] === HOTPLUG_POD_LABEL_VALUE && Array.isArray(owners) && owners.length === 1;
}

/** The name of the VMI a launcher pod runs, when it names one a VMI can have. */
export function domainOf(pod: Json): string | undefined {
  const name = str(annotationsOf(pod)[DOMAIN_ANNOTATION]);
  return name && !dns1123SubdomainProblems(name).length ? name : undefined;
}

/** KubeVirt's IsMigratable: the VMI's LiveMigratable condition is True. */
function liveMigratable(vmi: Json): Json | undefined {
  const conditions = obj(vmi.status)?.conditions;
  return (Array.isArray(conditions) ? conditions : [])
    .map(obj)
    .find((c) => c?.type === LIVE_MIGRATABLE_CONDITION);
}

function isFinalVmi(vmi: Json): boolean {
  const phase = obj(vmi.status)?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

const evictionTriggered = (ns: string, name: string): string =>
  `Eviction triggered evacuation of VMI "${ns}/${name}"`;

/** Why a VMI is not migratable, as its condition says (or that it says nothing yet). */
function notMigratableDetail(vmi: Json): string {
  const c = liveMigratable(vmi);
  if (!c) return 'its LiveMigratable condition is not reported yet';
  const reason = str(c.reason);
  const message = str(c.message);
  return `LiveMigratable is ${String(c.status ?? 'Unknown')}${reason ? ` (${reason}${message ? `: ${message}` : ''})` : ''}`;
}

/**
 * The answer for a launcher pod that is still running, whose VMI `vmi` exists and has not ended,
 * given the effective eviction strategy (undefined: none). Pure.
 */
export function evictionVerdict(pod: Json, vmi: Json, strategy: StrategySource | undefined): EvictionVerdict {
  const ns = str(meta(vmi).namespace) ?? str(meta(pod).namespace) ?? '';
  const vmiName = nameOf(vmi);
  const podNode = str(obj(pod.spec)?.nodeName);
  // Nothing runs in a pod that no node has taken; kubectl drain never asks for one anyway.
  if (!podNode) return allow(`pod ${ns}/${nameOf(pod)} is not bound to a node: no guest runs in it`);
  if (strategy === undefined) return allow(`VMI ${ns}/${vmiName} has no eviction strategy`);
  const value = strategy.value;
  if (typeof value !== 'string' || !(EVICTION_STRATEGIES as readonly string[]).includes(value))
    return deny(
      `${strategy.field} is ${JSON.stringify(value)}, not one of ${EVICTION_STRATEGIES.join(', ')}: ` +
        `virtkit cannot tell whether the eviction may stop the guest; fix the field, then evict again`,
    );
  const migratable = liveMigratable(vmi)?.status === 'True';
  let external = false;
  switch (value) {
    case 'None':
      return allow(`VMI ${ns}/${vmiName} has evictionStrategy None`);
    case 'LiveMigrateIfPossible':
      if (!migratable)
        return allow(
          `VMI ${ns}/${vmiName} has evictionStrategy LiveMigrateIfPossible and is not live-migratable`,
        );
      break;
    case 'LiveMigrate':
      if (!migratable)
        return deny(
          `VMI ${vmiName} is configured with an eviction strategy but is not live-migratable; ` +
            `${notMigratableDetail(vmi)}. The eviction waits until VMI ${ns}/${vmiName} is stopped ` +
            `(virtkit stop ${vmiName}) or can migrate; with evictionStrategy LiveMigrateIfPossible ` +
            `or None an eviction shuts it down instead`,
        );
      break;
    case 'External':
      external = true;
      break;
  }
  const vmiStatus = obj(vmi.status);
  const marked = str(vmiStatus?.evacuationNodeName);
  if (marked)
    return deny(
      `Evacuation in progress: ${evictionTriggered(ns, vmiName)}; ` +
        (external
          ? `its status.evacuationNodeName (${marked}) waits for the external controller (evictionStrategy External)`
          : `it is being live-migrated off node ${marked}; the pod goes once the migration has succeeded`),
    );
  const vmiNode = str(vmiStatus?.nodeName);
  if (vmiNode !== podNode) {
    const labels = obj(meta(pod).labels) as Record<string, string> | undefined;
    return deny(
      `Eviction request for target Pod; pod ${ns}/${nameOf(pod)} is on node ${podNode} and VMI ` +
        `${ns}/${vmiName} runs on ${vmiNode ?? 'no node yet'}: ` +
        (isMigrationTargetPod(labels)
          ? "the pod is a migration's target, which goes when that migration ends"
          : 'the guest has left this pod (a migration moved it), and the pod goes once its ' +
            'migration is done (kubectl drain retries until then)'),
    );
  }
  return {
    verdict: 'mark',
    nodeName: podNode,
    message: printable(
      `${evictionTriggered(ns, vmiName)}; ` +
        (external
          ? `status.evacuationNodeName is set to ${podNode} for the external controller ` +
            `(evictionStrategy External) to move or stop it: virtkit does not migrate it`
          : `it is live-migrated off node ${podNode}, and its pod goes once the migration has ` +
            `succeeded (kubectl drain retries until then)`),
    ),
  };
}

/**
 * The answer for a hotplug attachment pod, given its owner pod and that owner's VMI (undefined:
 * not found). Pure.
 */
export function hotplugVerdict(pod: Json, owner: Json | undefined, vmi: Json | undefined): EvictionVerdict {
  if (!owner || !isLauncherPod(owner) || hasEnded(owner))
    return allow(`hotplug pod ${nameOf(pod)} belongs to no running launcher pod`);
  if (!domainOf(owner) || !vmi) return allow(`hotplug pod ${nameOf(pod)} belongs to no VMI`);
  const ns = str(meta(pod).namespace) ?? '';
  return deny(
    `cannot evict hotplug pod: ${nameOf(pod)} associated with running vmi: ${nameOf(vmi)} in namespace ${ns}; ` +
      `it goes with launcher pod ${nameOf(owner)}: evict that one`,
  );
}

/** The JSON patch (RFC 6902) of the VMI's status that marks it, guarded by its uid. Pure. */
export function evacuationPatch(mark: EvacuationMark): Json[] {
  return [
    ...(mark.uid ? [{ op: 'test', path: '/metadata/uid', value: mark.uid }] : []),
    { op: 'add', path: '/status/evacuationNodeName', value: mark.nodeName },
  ];
}

/** The request's own dryRun, or the Eviction's `deleteOptions.dryRun: [All]` (KubeVirt reads both). */
export function isDryRunEviction(request: AdmissionRequest): boolean {
  if (request.dryRun === true) return true;
  const dryRun = obj(obj(request.object)?.deleteOptions)?.dryRun;
  return Array.isArray(dryRun) && dryRun[0] === 'All';
}

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Read the pods and the VMI, decide, and mark when the verdict says so. Never throws. */
async function decide(
  request: AdmissionRequest,
  ns: string,
  podName: string,
  lookup: PodEvictionLookup,
): Promise<EvictionVerdict> {
  let pod: Json | undefined;
  try {
    pod = await lookup.pod(ns, podName);
  } catch (err) {
    return deny(`virtkit could not read pod ${ns}/${podName} to decide its eviction: ${errorText(err)}`);
  }
  // The API server answers 404 itself.
  if (!pod) return allow(`pod ${ns}/${podName} does not exist`);
  if (isHotplugPod(pod)) return hotplugDecision(pod, ns, lookup);
  if (!isLauncherPod(pod)) return allow(`pod ${ns}/${podName} is not a virt-launcher pod`);
  if (hasEnded(pod)) return allow(`pod ${ns}/${podName} has ended`);
  const vmiName = domainOf(pod);
  if (!vmiName) return allow(`pod ${ns}/${podName} names no VMI in annotation ${DOMAIN_ANNOTATION}`);
  let vmi: Json | undefined;
  try {
    vmi = await lookup.vmi(ns, vmiName);
  } catch (err) {
    return deny(`kubevirt failed getting the vmi: ${errorText(err)}`);
  }
  if (!vmi) return allow(`VMI ${ns}/${vmiName} does not exist`);
  if (isFinalVmi(vmi)) return allow(`VMI ${ns}/${vmiName} has ended`);
  let strategy = vmiEvictionStrategy(vmi);
  if (!strategy) {
    try {
      strategy = clusterEvictionStrategy(await lookup.kubevirts());
    } catch (err) {
      return deny(
        `virtkit could not read the KubeVirt objects for the cluster's evictionStrategy (VMI ${ns}/${vmiName} sets none): ${errorText(err)}`,
      );
    }
  }
  const verdict = evictionVerdict(pod, vmi, strategy);
  if (verdict.verdict !== 'mark') return verdict;
  try {
    await lookup.markForEvacuation({
      namespace: ns,
      name: vmiName,
      uid: str(meta(vmi).uid),
      nodeName: verdict.nodeName,
      dryRun: isDryRunEviction(request),
    });
  } catch (err) {
    // Refused, as KubeVirt does: the caller retries, and the next try marks it.
    return deny(`kubevirt failed marking the vmi for eviction: ${errorText(err)}`);
  }
  return verdict;
}

async function hotplugDecision(pod: Json, ns: string, lookup: PodEvictionLookup): Promise<EvictionVerdict> {
  const ownerName = str(obj((meta(pod).ownerReferences as unknown[])[0])?.name);
  if (!ownerName || dns1123SubdomainProblems(ownerName).length)
    return allow(`hotplug pod ${nameOf(pod)} names no owner pod`);
  let owner: Json | undefined;
  try {
    owner = await lookup.pod(ns, ownerName);
  } catch (err) {
    return deny(`failed getting owner for hotplug pod: ${errorText(err)}`);
  }
  const vmiName = owner && isLauncherPod(owner) && !hasEnded(owner) ? domainOf(owner) : undefined;
  let vmi: Json | undefined;
  if (vmiName)
    try {
      vmi = await lookup.vmi(ns, vmiName);
    } catch (err) {
      return deny(`kubevirt failed getting the vmi: ${errorText(err)}`);
    }
  return hotplugVerdict(pod, owner, vmi);
}

/** The AdmissionReview answering `review` with `verdict` (a mark has been made: it refuses). */
export function evictionResponse(uid: string, verdict: EvictionVerdict): AdmissionReview {
  const response =
    verdict.verdict === 'allow'
      ? { uid, allowed: true }
      : {
          uid,
          allowed: false,
          status: {
            code: verdict.verdict === 'deny' ? verdict.code : TOO_MANY_REQUESTS,
            reason: 'TooManyRequests',
            message: verdict.message,
          },
        };
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response } as AdmissionReview;
}

/** The request is an eviction (policy Eviction, or the pods/eviction subresource). */
function isEviction(request: AdmissionRequest): boolean {
  const r = request as AdmissionRequest & { subResource?: string };
  return request.kind?.kind === 'Eviction' || r.subResource === 'eviction';
}

/** The webhook's whole answer to an AdmissionReview of a pod eviction. Never throws. */
export async function admitPodEviction(
  review: AdmissionReview,
  lookup: PodEvictionLookup | undefined,
): Promise<AdmissionReview> {
  const request = review.request;
  const uid = request?.uid ?? '';
  const refuse = (code: number, reason: string, message: string): AdmissionReview =>
    ({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid, allowed: false, status: { code, reason, message } },
    }) as AdmissionReview;
  if (!request?.uid) return refuse(400, 'BadRequest', 'the AdmissionReview has no request.uid');
  // Only the creation of an Eviction evicts; anything else sent here is not this webhook's.
  if (request.operation !== 'CREATE' || !isEviction(request))
    return evictionResponse(uid, allow('not the creation of an eviction'));
  const ns = request.namespace ?? '';
  const podName = request.name ?? '';
  if (!ns || !podName)
    return refuse(400, 'BadRequest', 'the eviction review names no pod (request.namespace and request.name)');
  // No pod can have such a name: the API server answers 404.
  if (dns1123SubdomainProblems(podName).length)
    return evictionResponse(uid, allow('no pod can have that name'));
  if (!lookup)
    return refuse(
      500,
      'InternalError',
      'virtkit api runs without a cluster client: it cannot read the pod and its VMI to decide the eviction',
    );
  try {
    return evictionResponse(uid, await decide(request, ns, podName, lookup));
  } catch (err) {
    // decide() answers every lookup failure itself; this is a bug's last line of defence.
    return refuse(500, 'InternalError', printable(`deciding the eviction failed: ${errorText(err)}`));
  }
}
