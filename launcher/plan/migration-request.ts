/**
 * Checks the bodies of the migration routes (pure). The handler sends them, but the launcher
 * trusts nothing it reads: an address or port reaches QEMU's command channel, options become
 * QEMU parameters. Every problem of one body is reported together, each naming the field, the
 * value and the fix (HTTP 400).
 */
import { isIP } from 'net';
import { escapeControl, safeNameProblem } from '../../api/host-path';
import {
  BLOCK_MIGRATION_PORT,
  MIGRATION_PORT,
  type MigrationIncomingRequest,
  type MigrationOptions,
  type MigrationStartRequest,
  type MigrationTransport,
} from '../api/protocol';
import { QEMU_MAX_DOWNTIME_MS } from './migration';

export interface MigrationRequestProblem {
  readonly field: string;
  readonly value?: unknown;
  readonly message: string;
}

function show(value: unknown): string {
  const text = typeof value === 'string' ? `"${escapeControl(value)}"` : JSON.stringify(value);
  if (text === undefined) return String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** A migration request the launcher refuses as it is (HTTP 400). */
export class MigrationRequestError extends Error {
  constructor(
    /** e.g. `migration start of VirtualMachineInstance ns/vm` */
    readonly subject: string,
    readonly problems: readonly MigrationRequestProblem[],
  ) {
    super(
      [
        `${subject} refused (${problems.length} problem${problems.length === 1 ? '' : 's'}):`,
        ...problems.map(
          (p) =>
            `  - ${p.field}${'value' in p && p.value !== undefined ? ` = ${show(p.value)}` : ''}: ${p.message}`,
        ),
      ].join('\n'),
    );
    this.name = 'MigrationRequestError';
  }
}

/** A migration step that does not fit where the migration stands (HTTP 409). */
export class MigrationConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationConflictError';
  }
}

class Problems {
  readonly items: MigrationRequestProblem[] = [];
  add(field: string, message: string, value?: unknown): void {
    this.items.push(value === undefined ? { field, message } : { field, value, message });
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An IP literal of a real interface (not 0.0.0.0 or ::, which would listen everywhere). */
function address(v: unknown, field: string, problems: Problems): string {
  if (typeof v !== 'string' || isIP(v) === 0) {
    problems.add(field, 'must be an IP address literal such as 10.244.1.7 or fd00::7 (the target pod IP)', v);
    return '';
  }
  if (/^0+(\.0+){3}$/.test(v) || /^[0:]+$/.test(v)) {
    problems.add(field, "must be the pod's own address, not the unspecified address", v);
    return '';
  }
  return v;
}

function port(v: unknown, field: string, problems: Problems, allowZero: boolean): number {
  const min = allowZero ? 0 : 1;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > 65535) {
    problems.add(
      field,
      `must be a TCP port from ${min} to 65535${allowZero ? ' (0: the launcher picks a free one)' : ''}`,
      v,
    );
    return 0;
  }
  return v;
}

function bool(v: unknown, field: string, problems: Problems): boolean {
  if (typeof v !== 'boolean') problems.add(field, 'must be true or false', v);
  return v === true;
}

function whole(
  v: unknown,
  field: string,
  problems: Problems,
  min: number,
  max: number,
  unit: string,
): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
    problems.add(field, `must be a whole number of ${unit} from ${min} to ${max}`, v);
    return min;
  }
  return v;
}

function options(v: unknown, problems: Problems): MigrationOptions {
  const f = 'options';
  if (!isObject(v)) {
    problems.add(
      f,
      'must be the MigrationOptions object (bandwidthBytesPerSecond, allowAutoConverge, ...)',
      v,
    );
    v = {};
  }
  const o = v as Record<string, unknown>;
  return {
    bandwidthBytesPerSecond: whole(
      o.bandwidthBytesPerSecond,
      `${f}.bandwidthBytesPerSecond`,
      problems,
      0,
      Number.MAX_SAFE_INTEGER,
      'bytes per second (0: unlimited)',
    ),
    allowAutoConverge: bool(o.allowAutoConverge, `${f}.allowAutoConverge`, problems),
    allowPostCopy: bool(o.allowPostCopy, `${f}.allowPostCopy`, problems),
    completionTimeoutPerGiB: whole(
      o.completionTimeoutPerGiB,
      `${f}.completionTimeoutPerGiB`,
      problems,
      0,
      1_000_000,
      'seconds (0: no completion timeout)',
    ),
    progressTimeoutSeconds: whole(
      o.progressTimeoutSeconds,
      `${f}.progressTimeoutSeconds`,
      problems,
      0,
      1_000_000,
      'seconds (0: no progress timeout)',
    ),
    maxDowntimeMs: whole(
      o.maxDowntimeMs,
      `${f}.maxDowntimeMs`,
      problems,
      1,
      QEMU_MAX_DOWNTIME_MS,
      'milliseconds',
    ),
  };
}

/** A checked MigrationIncomingRequest with its defaults applied ('' and 0 for what `unix` leaves out). */
export type CheckedIncomingRequest = Required<MigrationIncomingRequest>;

/** The transport a body asks for; `unix` leaves the address and ports out (the handler carries the stream). */
function transport(b: Record<string, unknown>, problems: Problems): MigrationTransport {
  const t = b.transport ?? 'tcp';
  if (t !== 'tcp' && t !== 'unix') {
    problems.add('transport', 'must be "tcp" or "unix"', t);
    return 'tcp';
  }
  if (t === 'unix')
    for (const f of ['address', 'migrationPort', 'blockPort'])
      if (b[f] !== undefined)
        problems.add(
          f,
          `must be left out with transport "unix": QEMU uses the sockets of its own directory and the handler carries the stream`,
          b[f],
        );
  return t;
}

export function checkIncomingRequest(body: unknown, vmi: string): CheckedIncomingRequest {
  const problems = new Problems();
  const b = isObject(body) ? body : {};
  if (!isObject(body))
    problems.add('(body)', 'must be a MigrationIncomingRequest {address, allowPostCopy}', body);
  if (transport(b, problems) === 'unix') {
    const unix: CheckedIncomingRequest = {
      transport: 'unix',
      address: '',
      allowPostCopy: bool(b.allowPostCopy, 'allowPostCopy', problems),
      migrationPort: 0,
      blockPort: 0,
    };
    if (problems.items.length)
      throw new MigrationRequestError(`incoming migration of ${vmi}`, problems.items);
    return unix;
  }
  const checked: CheckedIncomingRequest = {
    transport: 'tcp',
    address: address(b.address, 'address', problems),
    allowPostCopy: bool(b.allowPostCopy, 'allowPostCopy', problems),
    migrationPort:
      b.migrationPort === undefined ? MIGRATION_PORT : port(b.migrationPort, 'migrationPort', problems, true),
    blockPort:
      b.blockPort === undefined ? BLOCK_MIGRATION_PORT : port(b.blockPort, 'blockPort', problems, true),
  };
  if (problems.items.length) throw new MigrationRequestError(`incoming migration of ${vmi}`, problems.items);
  return checked;
}

export function checkStartRequest(body: unknown, vmi: string): MigrationStartRequest {
  const problems = new Problems();
  const b = isObject(body) ? body : {};
  if (!isObject(body))
    problems.add(
      '(body)',
      'must be a MigrationStartRequest {address, migrationPort, mirroredDisks, options}',
      body,
    );
  const disks: string[] = [];
  if (!Array.isArray(b.mirroredDisks))
    problems.add(
      'mirroredDisks',
      "must be a list of disk names (the target's MigrationIncomingReady.mirroredDisks)",
      b.mirroredDisks,
    );
  else
    for (const [i, d] of (b.mirroredDisks as unknown[]).entries()) {
      const problem = typeof d === 'string' ? safeNameProblem(d) : 'must be a disk name';
      if (problem) problems.add(`mirroredDisks[${i}]`, problem, d);
      else disks.push(d as string);
    }
  const checked: MigrationStartRequest =
    transport(b, problems) === 'unix'
      ? { transport: 'unix', mirroredDisks: disks, options: options(b.options, problems) }
      : {
          transport: 'tcp',
          address: address(b.address, 'address', problems),
          migrationPort: port(b.migrationPort, 'migrationPort', problems, false),
          ...(b.blockPort === undefined
            ? {}
            : { blockPort: port(b.blockPort, 'blockPort', problems, false) }),
          mirroredDisks: disks,
          options: options(b.options, problems),
        };
  if (problems.items.length) throw new MigrationRequestError(`migration start of ${vmi}`, problems.items);
  return checked;
}

/**
 * The disks to mirror, reconciling what the source's plan says with what the request names.
 * The plan decides; a request naming other disks means target and source disagree about the
 * VMI (HTTP 400 naming both lists); disks to mirror without a block port cannot be copied.
 */
export function reconcileMirroredDisks(
  planned: readonly string[],
  request: MigrationStartRequest,
  vmi: string,
): readonly string[] {
  const problems = new Problems();
  const named = [...request.mirroredDisks].sort();
  const own = [...planned].sort();
  if (named.length && named.join(',') !== own.join(','))
    problems.add(
      'mirroredDisks',
      `must name the disks this VMI keeps on node-local files (${own.join(', ') || 'none'}); the target and the source disagree about the spec`,
      request.mirroredDisks,
    );
  if (own.length && request.transport !== 'unix' && request.blockPort === undefined)
    problems.add(
      'blockPort',
      `is required: disks ${own.join(', ')} live on this node and are copied to the target's NBD server (MigrationIncomingReady.blockPort)`,
    );
  if (problems.items.length) throw new MigrationRequestError(`migration start of ${vmi}`, problems.items);
  return own;
}
