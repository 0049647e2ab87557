/**
 * Admission of VirtualMachineInstanceMigrations (KubeVirt's migration-create and
 * migration-update admitters). A migration is refused at creation, with KubeVirt's sentence and
 * then what virtkit knows about why and what to do, when:
 *
 *   - `spec.vmiName` is empty ("vmiName is missing"), or `spec.addedNodeSelector` has a key or
 *     value no node label can have (virtkit's: the target pod could never be created);
 *   - its VMI does not exist ("the VMI "NS/NAME" does not exist");
 *   - the VMI has ended ("Cannot migrate VMI in finalized state.") or, virtkit's own rule, is not
 *     Running yet: there is no guest to move (KubeVirt admits it and fails it later);
 *   - the VMI's LiveMigratable condition is False ("Cannot migrate VMI, Reason: R, Message: M");
 *   - another migration of the VMI is in flight: a migration of the same `spec.vmiName` whose
 *     phase is neither Succeeded nor Failed, or the VMI's `status.migrationState` of a migration
 *     that has neither completed nor failed ("in-flight migration detected. ...").
 *
 * On update, an in-flight migration keeps KubeVirt's selector label (`kubevirt.io/vmi-name`);
 * the spec's immutability is ./update-locks.ts'. The VMI and the migrations come from `lookup`
 * (./migration-lookup.ts); a lookup that fails refuses the request (./admit.ts fails closed).
 */
import { printable } from '../../api/validation/printable';
import {
  dns1123SubdomainProblems,
  labelValueProblems,
  qualifiedNameProblems,
} from '../../api/validation/dns-names';
import type { AdmissionRequest, StatusCause } from './review';
import { kindIn } from './update-locks';
import { isFinalMigration, MIGRATION_SELECTOR_LABEL } from '../../api/kubevirt/v1/migration-labels';

type Json = Record<string, unknown>;

/** What the migration rules read from the cluster. */
export interface MigrationLookup {
  /** The VMI `namespace`/`name`; undefined when it does not exist. */
  vmi(namespace: string, name: string): Promise<Json | undefined>;
  /** The VirtualMachineInstanceMigrations of `namespace`. */
  migrations(namespace: string): Promise<readonly Json[]>;
}

const obj = (v: unknown): Json | undefined =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

function isMigration(request: AdmissionRequest, object: Json): boolean {
  return kindIn(request, object, 'kubevirt.io') === 'VirtualMachineInstanceMigration';
}

/** The migration's namespace, name and VMI, as the request gives them. */
function subject(request: AdmissionRequest, object: Json): { ns: string; name: string; vmiName: string } {
  const meta = obj(object.metadata);
  return {
    ns: str(meta?.namespace) ?? request.namespace ?? '',
    name: str(meta?.name) ?? request.name ?? '',
    vmiName: str(obj(object.spec)?.vmiName) ?? '',
  };
}

// Names and condition messages are the user's: no control character reaches a terminal.
const refuse = (message: string): StatusCause[] => [
  { type: 'FieldValueInvalid', field: 'spec.vmiName', message: printable(message) },
];

/** KubeVirt's sentence, then virtkit's detail (a new sentence after KubeVirt's full stop). */
const then = (kubevirt: string, detail: string): string =>
  kubevirt.endsWith('.') ? `${kubevirt} ${detail}` : `${kubevirt}; ${detail}`;

/** The refusal that the VMI alone decides (pure): missing, ended, not running, not migratable. */
export function vmiRefusal(ns: string, vmiName: string, vmi: Json | undefined): StatusCause[] {
  if (!vmi)
    return refuse(
      then(
        `the VMI "${ns}/${vmiName}" does not exist`,
        `a migration moves a running VMI: start its VM (virtkit start ${vmiName}) or fix spec.vmiName, then create the migration again`,
      ),
    );
  const status = obj(vmi.status);
  const phase = str(status?.phase) ?? '';
  if (phase === 'Succeeded' || phase === 'Failed')
    return refuse(
      then(
        'Cannot migrate VMI in finalized state.',
        `VMI ${ns}/${vmiName} is ${phase}: start its VM again, then migrate the new VMI`,
      ),
    );
  if (phase !== 'Running')
    return refuse(
      then(
        'Cannot migrate VMI that is not running',
        `VMI ${ns}/${vmiName} is in phase ${phase || '(none yet)'}: create the migration once its status.phase is Running`,
      ),
    );
  const conditions = Array.isArray(status?.conditions) ? status.conditions : [];
  const migratable = conditions.map(obj).find((c) => c?.type === 'LiveMigratable');
  if (migratable?.status === 'False')
    return refuse(
      `Cannot migrate VMI, Reason: ${String(migratable.reason ?? '')}, Message: ${String(migratable.message ?? '')}`,
    );
  return [];
}

const inFlight = (uid: string, vmiName: string): string =>
  `in-flight migration detected. Active migration job (${uid}) is currently already in progress for VMI ${vmiName}.`;

/**
 * The refusal of a second migration while one is in flight (pure): another migration of the VMI
 * that has not ended, else the VMI's own record of one.
 */
export function inFlightRefusal(
  ns: string,
  name: string,
  vmiName: string,
  vmi: Json,
  migrations: readonly Json[],
): StatusCause[] {
  for (const other of migrations) {
    const meta = obj(other.metadata);
    const otherName = str(meta?.name);
    // The same name is the API server's to refuse (AlreadyExists), not a migration in flight.
    if (!otherName || (name !== '' && otherName === name)) continue;
    if (str(obj(other.spec)?.vmiName) !== vmiName || isFinalMigration(other)) continue;
    const phase = str(obj(other.status)?.phase) ?? 'Pending';
    return refuse(
      then(
        inFlight(str(meta?.uid) ?? '', vmiName),
        `VirtualMachineInstanceMigration ${ns}/${otherName} is ${phase}: wait for it to end (Succeeded or Failed) or cancel it (virtkit migrate-cancel ${vmiName}), then create this migration again`,
      ),
    );
  }
  const state = obj(obj(vmi.status)?.migrationState);
  const uid = str(state?.migrationUid);
  if (uid && state?.completed !== true && state?.failed !== true)
    return refuse(
      then(
        inFlight(uid, vmiName),
        `The status.migrationState of VMI ${ns}/${vmiName} has neither completed nor failed: wait for that migration to end, then create this one again`,
      ),
    );
  return [];
}

/**
 * What is wrong with an addedNodeSelector (pure): it is a map whose keys are label keys and whose
 * values are label values, as the target pod's nodeSelector needs. One line per problem.
 */
export function nodeSelectorProblems(selector: unknown): string[] {
  if (selector === undefined || selector === null) return [];
  const map = obj(selector);
  if (!map) return [`must be a map of node label keys to values, not ${JSON.stringify(selector)}`];
  const problems: string[] = [];
  for (const [key, value] of Object.entries(map)) {
    const keyProblems = qualifiedNameProblems(key);
    if (keyProblems.length)
      problems.push(`key ${JSON.stringify(key)} is not a label key: ${keyProblems.join('; ')}`);
    if (typeof value !== 'string') problems.push(`the value of ${JSON.stringify(key)} must be a string`);
    else {
      const valueProblems = labelValueProblems(value);
      if (valueProblems.length)
        problems.push(
          `the value ${JSON.stringify(value)} of ${JSON.stringify(key)} is not a label value: ${valueProblems.join('; ')}`,
        );
    }
  }
  return problems.map((p) => printable(p));
}

/** The refusals of what the VMI's state decides, in KubeVirt's order; the first one only. */
async function vmiCauses(
  ns: string,
  name: string,
  vmiName: string,
  lookup: MigrationLookup,
): Promise<StatusCause[]> {
  if (!vmiName)
    return refuse(then('vmiName is missing', 'name the VMI to migrate (in the namespace of the migration)'));
  // A name no VMI can have is not looked up: it does not exist.
  const nameProblems = dns1123SubdomainProblems(vmiName);
  if (nameProblems.length)
    return refuse(
      then(
        `the VMI "${ns}/${vmiName}" does not exist`,
        `spec.vmiName ${nameProblems.join('; ')}: name the VMI to migrate`,
      ),
    );
  const vmi = await lookup.vmi(ns, vmiName);
  const refused = vmiRefusal(ns, vmiName, vmi);
  if (refused.length || !vmi) return refused;
  return inFlightRefusal(ns, name, vmiName, vmi, await lookup.migrations(ns));
}

/** The refusals of creating a migration (none for any other request). */
export async function migrationCreateCauses(
  request: AdmissionRequest,
  lookup: MigrationLookup,
): Promise<StatusCause[]> {
  const object = obj(request.object);
  if (request.operation !== 'CREATE' || !object || !isMigration(request, object)) return [];
  const { ns, name, vmiName } = subject(request, object);
  const selector = nodeSelectorProblems(obj(object.spec)?.addedNodeSelector).map<StatusCause>((p) => ({
    type: 'FieldValueInvalid',
    field: 'spec.addedNodeSelector',
    message: p,
  }));
  return [...selector, ...(await vmiCauses(ns, name, vmiName, lookup))];
}

/** KubeVirt's rule on UPDATE: an in-flight migration keeps its selector label as it was (pure). */
export function migrationLabelCauses(request: AdmissionRequest): StatusCause[] {
  const object = obj(request.object);
  const old = obj(request.oldObject);
  if (request.operation !== 'UPDATE' || !object || !old || !isMigration(request, object)) return [];
  if (isFinalMigration(object)) return [];
  const before = str(obj(obj(old.metadata)?.labels)?.[MIGRATION_SELECTOR_LABEL]);
  if (before === undefined) return [];
  const after = obj(obj(object.metadata)?.labels)?.[MIGRATION_SELECTOR_LABEL];
  if (after === before) return [];
  const { ns, name } = subject(request, object);
  const what = after === undefined ? "can't be removed from" : "can't be modified on";
  return [
    {
      type: 'FieldValueInvalid',
      field: `metadata.labels[${MIGRATION_SELECTOR_LABEL}]`,
      message: printable(
        then(
          `selector label ${what} an in-flight migration`,
          `VirtualMachineInstanceMigration ${ns}/${name} moves VMI ${before} and keeps ${MIGRATION_SELECTOR_LABEL}=${before} until it ends`,
        ),
      ),
    },
  ];
}
