/**
 * How a confined QEMU reaches its files. QEMU runs as an unprivileged user (KubeVirt's qemu,
 * uid 107) with its working directory set to the per-VM QEMU directory (ctx.workDir), which
 * the launcher hands to that user; no directory above it needs to be open to QEMU, so the
 * node's state directories stay 0700. Two kinds of file:
 *  - files in the QEMU directory (overlays, empty disks, ISOs, sockets, logs, a copied kernel):
 *    named relative to it (`./disks/root.qcow2`);
 *  - files elsewhere (container disk bases, claims' images, host disks, firmware, a persistent
 *    EFI variable store): opened by the launcher and passed as file descriptors in an fd set
 *    (`-add-fd fd=3,set=1` and `/dev/fdset/1` where QEMU would take the path), so QEMU never
 *    needs the right to look the path up, and gets only read access where it only reads.
 * Pure: the plan records which descriptors to pass; the runtime opens them.
 */
import * as path from 'path';
import { isWithin } from '../../api/host-path';
import { fromField, type FieldValue } from './qemu-opts';
import type { PassedFd } from './types';

/** Descriptors 0-2 are stdio; passed files follow in the order of PassedFd. */
const FIRST_PASSED_FD = 3;

export class QemuFiles {
  private readonly fds: PassedFd[] = [];
  private readonly sets = new Map<string, number>();

  constructor(readonly qemuDir: string) {}

  /**
   * A file's name as QEMU should be given it: relative to QEMU's directory when inside it,
   * else an fd set of the launcher's descriptors (read-only unless `write`). The value keeps
   * the field that is blamed if the path is refused.
   */
  file(abs: string, field: string, write: boolean): FieldValue {
    if (isWithin(this.qemuDir, abs) && path.resolve(abs) !== path.resolve(this.qemuDir))
      return this.local(abs, field);
    return fromField(this.passed(abs, write), field, 'path');
  }

  /** A path for an option that can only name a file inside QEMU's directory (sockets, logs). */
  local(abs: string, field: string): FieldValue {
    return fromField(`./${path.relative(this.qemuDir, abs)}`, field, 'relative');
  }

  /** `/dev/fdset/N` for a file the launcher opens; the same file and access share one set. */
  private passed(abs: string, write: boolean): string {
    const key = `${write ? 'rw' : 'ro'}:${abs}`;
    let set = this.sets.get(key);
    if (set === undefined) {
      set = this.sets.size + 1;
      this.sets.set(key, set);
      // QEMU picks a descriptor from the set by access mode: a writable file gets both, so
      // a read-only reopen finds one too.
      if (write) this.fds.push({ fd: FIRST_PASSED_FD + this.fds.length, set, path: abs, write: true });
      this.fds.push({ fd: FIRST_PASSED_FD + this.fds.length, set, path: abs, write: false });
    }
    return `/dev/fdset/${set}`;
  }

  /** The descriptors to pass, in child-descriptor order. */
  get passedFds(): readonly PassedFd[] {
    return this.fds;
  }

  /** `-add-fd` for each passed descriptor. */
  args(): string[] {
    return this.fds.flatMap((f) => ['-add-fd', `fd=${f.fd},set=${f.set}`]);
  }
}
