/**
 * The I/O of disk hotplug (the commands are ../plan/hotplug.ts): makes the image reachable by
 * the confined QEMU, runs the QMP commands, and keeps the list of disks attached after boot.
 *
 * QEMU runs as an unprivileged user in its own directory and cannot look up paths under the
 * node's 0700 state directories, and QMP file descriptors need SCM_RIGHTS, which Node cannot
 * send. So the launcher links the image into QEMU's directory (`hotplug/<name>.img`, a hard link:
 * the same file, the claim's data stays where it is) and, as KubeVirt does with hotplugged
 * images, hands the file to QEMU's user. Detaching removes the link, never the data.
 */
import * as fs from 'fs';
import * as path from 'path';
import { absoluteHostPathProblem } from '../../api/host-path';
import { assertConfined } from '../../common/confine';
import type { QemuIdentity } from '../host/qemu-user';
import {
  attachCommands,
  blockdevDelCommands,
  bootTargets,
  detachDeviceCommand,
  hotplugIds,
  nextScsiTarget,
  volumeNameProblem,
  type AttachDiskRequest,
  type GuestDisk,
  type HotplugDisksBody,
} from '../plan/hotplug';
import type { LaunchPlan } from '../plan/types';
import type { QmpClient } from '../qmp/client';

/** A request the launcher refuses as it is (HTTP 400). */
export class HotplugRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HotplugRequestError';
  }
}

/** A disk that cannot be attached or detached now (HTTP 409): unknown, boot-time, hotplug off. */
export class HotplugConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HotplugConflictError';
  }
}

/** How long the guest gets to release a SCSI disk before detach gives up. */
const DEVICE_DELETED_TIMEOUT_MS = 30_000;

interface Attached {
  readonly target: string;
  readonly link?: string;
}

export class HotplugDisks {
  private readonly attached = new Map<string, Attached>();
  /** One attach or detach at a time: targets and links are picked from the list as it is. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly plan: LaunchPlan,
    private readonly identity: QemuIdentity | undefined,
    private readonly label: string,
  ) {}

  list(): HotplugDisksBody {
    const boot = bootTargets(this.plan.disks);
    const disks: GuestDisk[] = [
      ...[...boot].map(([name, target]) => ({ name, target, hotplugged: false })),
      ...[...this.attached].map(([name, a]) => ({ name, target: a.target, hotplugged: true })),
    ];
    return { supported: this.plan.hotplugBus !== undefined, disks };
  }

  attach(qmp: QmpClient, req: AttachDiskRequest): Promise<GuestDisk> {
    return this.serial(() => this.doAttach(qmp, req));
  }

  detach(qmp: QmpClient, name: string): Promise<void> {
    return this.serial(() => this.doDetach(qmp, name));
  }

  /** QEMU is gone: nothing is attached any more. */
  reset(): void {
    this.attached.clear();
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async doAttach(qmp: QmpClient, req: AttachDiskRequest): Promise<GuestDisk> {
    const bus = this.plan.hotplugBus;
    if (!bus)
      throw new HotplugConflictError(
        `${this.label} disables hotplug (spec.domain.devices.disableHotplug); restart it without that to hotplug disks`,
      );
    const nameProblem = volumeNameProblem(req?.name);
    if (nameProblem) throw new HotplugRequestError(`name ${JSON.stringify(req?.name)}: ${nameProblem}`);
    const existing = this.attached.get(req.name);
    if (existing) return { name: req.name, target: existing.target, hotplugged: true };
    if (this.plan.disks.some((d) => d.name === req.name))
      throw new HotplugConflictError(`${this.label} already has disk ${req.name} from boot`);
    const pathProblem = typeof req.path === 'string' ? absoluteHostPathProblem(req.path) : 'must be a string';
    if (pathProblem) throw new HotplugRequestError(`path ${JSON.stringify(req.path)}: ${pathProblem}`);
    const stat = lstatOrUndefined(req.path);
    if (!stat || !(stat.isFile() || stat.isBlockDevice()))
      throw new HotplugRequestError(
        `path ${req.path}: not a regular file or block device on this node (symbolic links are not followed)`,
      );

    const { exposed, link } = this.expose(req.name, req.path, stat);
    const built = attachCommands(req, exposed, bus);
    if ('problems' in built) {
      if (link) fs.rmSync(link, { force: true });
      throw new HotplugRequestError(built.problems.join('; '));
    }
    const done: string[] = [];
    try {
      for (const c of built.commands) {
        await qmp.execute(c.execute, c.arguments);
        done.push(c.execute);
      }
    } catch (e) {
      // Undo what went in, newest first, so a retry starts from nothing.
      const nodes = blockdevDelCommands(built.ids).slice(2 - done.filter((d) => d === 'blockdev-add').length);
      for (const c of nodes) await qmp.execute(c.execute, c.arguments).catch(() => undefined);
      if (link) fs.rmSync(link, { force: true });
      throw e;
    }
    const used = [
      ...bootTargets(this.plan.disks).values(),
      ...[...this.attached.values()].map((a) => a.target),
    ];
    const target = nextScsiTarget(used);
    this.attached.set(req.name, { target, ...(link ? { link } : {}) });
    return { name: req.name, target, hotplugged: true };
  }

  private async doDetach(qmp: QmpClient, name: string): Promise<void> {
    const nameProblem = volumeNameProblem(name);
    if (nameProblem) throw new HotplugRequestError(`name ${JSON.stringify(name)}: ${nameProblem}`);
    const entry = this.attached.get(name);
    if (!entry) {
      if (this.plan.disks.some((d) => d.name === name))
        throw new HotplugConflictError(
          `disk ${name} of ${this.label} was attached at boot; only hotplugged disks are detached while the guest runs`,
        );
      return; // not attached: nothing to do
    }
    const ids = hotplugIds(name);
    const del = detachDeviceCommand(ids);
    await qmp.executeAndAwaitEvent(
      del.execute,
      del.arguments,
      'DEVICE_DELETED',
      DEVICE_DELETED_TIMEOUT_MS,
      (e) => e.data?.device === ids.device,
    );
    for (const c of blockdevDelCommands(ids)) await qmp.execute(c.execute, c.arguments);
    if (entry.link) fs.rmSync(entry.link, { force: true });
    this.attached.delete(name);
  }

  /** The path QEMU opens: a link in its directory when it runs as another user. */
  private expose(name: string, file: string, stat: fs.Stats): { exposed: string; link?: string } {
    if (!this.identity || stat.isBlockDevice()) {
      if (stat.isBlockDevice() && this.identity) fs.chownSync(file, this.identity.uid, this.identity.gid);
      return { exposed: file };
    }
    const dir = path.join(this.plan.qemuDir, 'hotplug');
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.chownSync(dir, this.identity.uid, this.identity.gid);
    const link = path.join(dir, `${name}.img`);
    assertConfined(dir, link, 'name');
    fs.rmSync(link, { force: true });
    try {
      fs.linkSync(file, link);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new HotplugConflictError(
        code === 'EXDEV'
          ? `${file} is on another filesystem than ${this.plan.qemuDir}; the launcher links hotplugged images into QEMU's directory, so keep local volumes and the node's state directory on one filesystem`
          : `cannot link ${file} into QEMU's directory: ${(e as Error).message}`,
      );
    }
    // KubeVirt hands hotplugged images to the qemu user as well.
    fs.chownSync(link, this.identity.uid, this.identity.gid);
    // Relative to QEMU's working directory: QEMU cannot look up the directories above it.
    return { exposed: `./${path.relative(this.plan.qemuDir, link)}`, link };
  }
}

function lstatOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p);
  } catch {
    return undefined;
  }
}
