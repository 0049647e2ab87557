/** Errors raised before QEMU starts, so a bad VMI never half-runs. */

/** One reason the launcher cannot run a VMI, tied to the field that causes it. */
export interface LaunchProblem {
  /** Field path in KubeVirt notation, e.g. spec.domain.devices.disks[1].disk.bus. */
  readonly path: string;
  /** The offending value, when there is one. */
  readonly value?: unknown;
  /** What is wrong and what to do about it. */
  readonly message: string;
}

function show(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) return String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Every problem found in one pass (DESIGN habit 6), for the VMI named in the message. */
export class LaunchSpecError extends Error {
  constructor(
    /** e.g. VirtualMachineInstance default/testvm */
    readonly subject: string,
    readonly problems: readonly LaunchProblem[],
  ) {
    super(
      [
        `${subject} cannot be launched (${problems.length} problem${problems.length === 1 ? '' : 's'}):`,
        ...problems.map(
          (p) =>
            `  - ${p.path}${'value' in p && p.value !== undefined ? ` = ${show(p.value)}` : ''}: ${p.message}`,
        ),
      ].join('\n'),
    );
    this.name = 'LaunchSpecError';
  }
}

/** Collects problems while a plan is built; throws them all at the end. */
export class ProblemList {
  readonly items: LaunchProblem[] = [];
  add(path: string, message: string, value?: unknown): void {
    this.items.push(value === undefined ? { path, message } : { path, value, message });
  }
  throwIfAny(subject: string): void {
    if (this.items.length) throw new LaunchSpecError(subject, this.items);
  }
}
