/**
 * Who QEMU runs as, and the command that makes it so. A launcher running as root (local mode)
 * starts QEMU as KubeVirt's qemu user, uid and gid 107 (VIRTKIT_QEMU_USER=uid:gid picks
 * another), with no supplementary groups but /dev/kvm's, no capabilities (effective,
 * permitted, inheritable, ambient and bounding sets all empty) and no_new_privs, through
 * util-linux's setpriv, which also sets PR_SET_PDEATHSIG so the kernel kills QEMU when the
 * launcher dies. A launcher that is not root starts QEMU as itself, with no_new_privs.
 */
import * as fs from 'fs';

export const SETPRIV = '/usr/bin/setpriv';

/** KubeVirt's qemu user and group. */
export const QEMU_UID = 107;
export const QEMU_GID = 107;

export interface QemuIdentity {
  readonly uid: number;
  readonly gid: number;
  /** Supplementary groups (the group of /dev/kvm, when there is one). */
  readonly groups: readonly number[];
}

export class QemuUserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QemuUserError';
  }
}

/** Parses VIRTKIT_QEMU_USER ("uid:gid", both non-zero whole numbers). */
export function parseQemuUser(value: string): { uid: number; gid: number } {
  const m = /^(\d{1,9}):(\d{1,9})$/.exec(value);
  const uid = m ? Number(m[1]) : NaN;
  const gid = m ? Number(m[2]) : NaN;
  if (!m || uid === 0 || gid === 0)
    throw new QemuUserError(
      `VIRTKIT_QEMU_USER = ${JSON.stringify(value)}: give a non-root uid:gid such as 107:107 (KubeVirt's qemu user)`,
    );
  return { uid, gid };
}

/** The identity QEMU gets from a root launcher; undefined when the launcher is not root. */
export function qemuIdentity(
  euid = process.geteuid?.() ?? -1,
  env: NodeJS.ProcessEnv = process.env,
): QemuIdentity | undefined {
  if (euid !== 0) return undefined;
  const { uid, gid } = env.VIRTKIT_QEMU_USER
    ? parseQemuUser(env.VIRTKIT_QEMU_USER)
    : { uid: QEMU_UID, gid: QEMU_GID };
  let kvmGroup: number | undefined;
  try {
    kvmGroup = fs.statSync('/dev/kvm').gid;
  } catch {
    // no KVM: no group needed
  }
  const groups = kvmGroup !== undefined && kvmGroup !== 0 && kvmGroup !== gid ? [kvmGroup] : [];
  return { uid, gid, groups };
}

/** The argv (command first) that runs `binary args` as `identity` (or as the caller when undefined). */
export function confinedCommand(
  binary: string,
  args: readonly string[],
  identity: QemuIdentity | undefined,
  setpriv = SETPRIV,
): [string, string[]] {
  if (!fs.existsSync(setpriv)) {
    if (identity)
      throw new QemuUserError(
        `${setpriv} (Debian package util-linux) is needed to start QEMU as uid ${identity.uid} without privileges; install it`,
      );
    // Not root: QEMU has no privileges to drop; only the death signal is lost.
    return [binary, [...args]];
  }
  const drop = identity
    ? [
        `--reuid=${identity.uid}`,
        `--regid=${identity.gid}`,
        identity.groups.length ? `--groups=${identity.groups.join(',')}` : '--clear-groups',
        '--inh-caps=-all',
        '--ambient-caps=-all',
        '--bounding-set=-all',
      ]
    : [];
  return [setpriv, [...drop, '--no-new-privs', '--pdeathsig=KILL', '--', binary, ...args]];
}
