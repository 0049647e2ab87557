/**
 * The guest-access flags of `virtkit create vm`, with virtctl's semantics: --access-cred
 * (`type:ssh|password,src:SECRET,method:ga|nocloud|configdrive,user:USER`) becomes an access
 * credential, and --user, --password-file, --ssh-key, --ga-manage-ssh, --cloud-init,
 * --cloud-init-user-data and --cloud-init-network-data become the `cloudinitdisk` volume
 * (NoCloud by default, a config drive on request, none with `--cloud-init none`). An ssh
 * credential given to the guest agent turns --ga-manage-ssh on, and one given through NoCloud
 * or a config drive picks that --cloud-init, unless those flags were given.
 */
import { stringify } from 'yaml';
import type { AccessCredential, Volume } from '../../api/kubevirt/v1';
import { CLOUD_INIT_MAX_BYTES } from '../../api/kubevirt/v1/rules/vmi-spec';
import { dns1123SubdomainProblems } from '../../api/validation/dns-names';
import { ParamError, parseParams, printableOneLine, type Problems, splitPrefixedName } from './params';
import type { VolumeSet } from './vm-volumes';

export const CLOUD_INIT_TYPES = ['nocloud', 'configdrive', 'none'] as const;
type CloudInitType = (typeof CLOUD_INIT_TYPES)[number];

export const CLOUD_INIT_VOLUME = 'cloudinitdisk';
const HEADER = '#cloud-config';

export interface GuestAccessFlags {
  readonly user?: string;
  /** The path given to --password-file (for messages). */
  readonly passwordFile?: string;
  /** What the --password-file file holds; the command reads it. */
  readonly password?: string;
  readonly sshKey?: readonly string[];
  readonly gaManageSsh?: boolean;
  readonly accessCred?: readonly string[];
  readonly cloudInit?: string;
  readonly cloudInitUserData?: string;
  readonly cloudInitNetworkData?: string;
}

/** What --access-cred settles for the cloud-init flags the user left out. */
interface Implied {
  cloudInit?: CloudInitType;
  gaManageSsh?: boolean;
}

function secretName(params: Map<string, string>): string {
  const src = params.get('src');
  if (!src)
    throw new ParamError(
      'src must be specified: the Secret holding the keys or passwords, for example src:my-keys',
    );
  const ref = splitPrefixedName(src, 'src');
  if (ref.prefix !== undefined)
    throw new ParamError(
      `not allowed to specify namespace of secret "${ref.name}": it must be in the VM's namespace`,
    );
  const found = dns1123SubdomainProblems(ref.name);
  if (found.length) throw new ParamError(`secret name ${JSON.stringify(ref.name)} ${found.join('; ')}`);
  return ref.name;
}

const USER_NOT_ALLOWED =
  'user cannot be specified with selected access credential type and method; leave user: out (the keys or passwords name their users)';

/** One --access-cred value as an AccessCredential; updates `implied` as virtctl does. */
function accessCredential(text: string, flags: GuestAccessFlags, implied: Implied): AccessCredential {
  const params = parseParams(text, ['type', 'src', 'method', 'user']);
  const secret = { secretName: secretName(params) };
  const type = (params.get('type') ?? 'ssh').toLowerCase();
  const method = (params.get('method') ?? '').toLowerCase();
  const user = params.get('user');
  if (type === 'password') {
    if (method !== '' && method !== 'ga')
      throw new ParamError(
        `invalid access credentials password method "${params.get('method')}", supported values are: ga`,
      );
    if (user !== undefined) throw new ParamError(USER_NOT_ALLOWED);
    return { userPassword: { source: { secret }, propagationMethod: { qemuGuestAgent: {} } } };
  }
  if (type !== 'ssh')
    throw new ParamError(
      `invalid access credential type "${params.get('type')}", supported values are: ssh, password`,
    );
  if (method === '' || method === 'ga') {
    const guestUser = user ?? flags.user;
    if (!guestUser)
      throw new ParamError(
        'user must be specified with access credential ssh method ga ("--user" flag or param "user")',
      );
    if (!printableOneLine(guestUser)) throw new ParamError('user must be printable text on one line');
    if (flags.gaManageSsh === undefined) implied.gaManageSsh = true;
    return {
      sshPublicKey: { source: { secret }, propagationMethod: { qemuGuestAgent: { users: [guestUser] } } },
    };
  }
  if (method !== 'nocloud' && method !== 'configdrive')
    throw new ParamError(
      `invalid access credentials ssh method "${params.get('method')}", supported values are: ga, nocloud, configdrive`,
    );
  if (user !== undefined) throw new ParamError(USER_NOT_ALLOWED);
  const chosen = flags.cloudInit?.toLowerCase() ?? implied.cloudInit;
  if (chosen === undefined) implied.cloudInit = method;
  else if (chosen !== method)
    throw new ParamError(
      `method param and value passed to --cloud-init have to match: ${method} vs ${flags.cloudInit ?? chosen}; give --cloud-init ${method} or method:${chosen}`,
    );
  return {
    sshPublicKey: {
      source: { secret },
      propagationMethod: method === 'nocloud' ? { noCloud: {} } : { configDrive: {} },
    },
  };
}

/** A value as a YAML scalar that reads back as itself (quoted only where YAML needs it). */
function scalar(value: string): string {
  return stringify(value, { lineWidth: 0 }).trimEnd();
}

/** virtctl's generated user data: the header, then the user, password, keys and SELinux switch asked for. */
function buildUserData(flags: GuestAccessFlags, gaManageSsh: boolean): string {
  const lines = [HEADER];
  if (flags.user) lines.push(`user: ${scalar(flags.user)}`);
  if (flags.password) lines.push(`password: ${scalar(flags.password)}`, 'chpasswd: { expire: False }');
  if (flags.sshKey?.length)
    lines.push('ssh_authorized_keys:', ...flags.sshKey.map((k) => `  - ${scalar(k)}`));
  if (gaManageSsh) lines.push('runcmd:', "  - [ setsebool, -P, 'virt_qemu_ga_manage_ssh', 'on' ]");
  return lines.join('\n');
}

const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function checkBase64(problems: Problems, flag: string, value: string | undefined): void {
  if (value === undefined) return;
  if (value === '' || !BASE64_RE.test(value))
    problems.add(
      flag,
      value,
      'not base64; encode the file on one line, for example with: base64 -w0 user-data.yaml',
    );
  else if (Buffer.from(value, 'base64').length > CLOUD_INIT_MAX_BYTES)
    problems.add(
      flag,
      value,
      `decodes to ${Buffer.from(value, 'base64').length} bytes; KubeVirt takes at most ${CLOUD_INIT_MAX_BYTES} bytes inline (keep larger data in a Secret and reference it from the VM)`,
    );
}

function checkLines(problems: Problems, flags: GuestAccessFlags): void {
  if (flags.user !== undefined && (!flags.user || !printableOneLine(flags.user) || /[\s:]/.test(flags.user)))
    problems.add('user', flags.user, 'not a user name; write a guest user name such as cloud-user');
  for (const key of flags.sshKey ?? [])
    if (!key || !printableOneLine(key))
      problems.add(
        'ssh-key',
        key,
        'not an SSH public key; give one key on one line, such as "ssh-ed25519 AAAA... me@host"',
      );
  if (flags.passwordFile !== undefined) {
    if (!flags.password)
      problems.add(
        'password-file',
        flags.passwordFile,
        'the file holds no password; write the password in it',
      );
    else if (!printableOneLine(flags.password))
      problems.add('password-file', flags.passwordFile, 'the password must be one line of printable text');
  }
}

/**
 * Adds the access credentials and the cloud-init volume the flags ask for. Bad values go to
 * `problems`; remarks (a cleartext password, flags that `none` ignores) to `warnings`.
 */
export function addGuestAccess(
  set: VolumeSet,
  flags: GuestAccessFlags,
  problems: Problems,
  warnings: string[],
): AccessCredential[] {
  const implied: Implied = {};
  const credentials: AccessCredential[] = [];
  for (const text of flags.accessCred ?? []) {
    try {
      credentials.push(accessCredential(text, flags, implied));
    } catch (err) {
      if (!(err instanceof ParamError)) throw err;
      problems.add('access-cred', text, err.message);
    }
  }
  const cloudInit = flags.cloudInit?.toLowerCase() ?? implied.cloudInit;
  if (cloudInit !== undefined && !(CLOUD_INIT_TYPES as readonly string[]).includes(cloudInit))
    problems.add(
      'cloud-init',
      flags.cloudInit,
      `invalid cloud-init data source type; use one of ${CLOUD_INIT_TYPES.join(', ')}`,
    );
  checkBase64(problems, 'cloud-init-user-data', flags.cloudInitUserData);
  checkBase64(problems, 'cloud-init-network-data', flags.cloudInitNetworkData);
  checkLines(problems, flags);
  if (problems.count) return credentials;

  const gaManageSsh = flags.gaManageSsh ?? implied.gaManageSsh ?? false;
  const asked =
    flags.user !== undefined ||
    flags.passwordFile !== undefined ||
    !!flags.sshKey?.length ||
    flags.gaManageSsh !== undefined ||
    implied.gaManageSsh !== undefined ||
    cloudInit !== undefined ||
    flags.cloudInitUserData !== undefined ||
    flags.cloudInitNetworkData !== undefined;
  if (!asked) return credentials;
  if (flags.passwordFile !== undefined)
    warnings.push('WARNING: --password-file: The password is stored in cleartext in the VM definition!');
  const type = (cloudInit ?? 'nocloud') as CloudInitType;
  if (type === 'none') {
    if (
      flags.passwordFile !== undefined ||
      flags.sshKey?.length ||
      flags.gaManageSsh !== undefined ||
      flags.cloudInitUserData !== undefined ||
      flags.cloudInitNetworkData !== undefined
    )
      warnings.push(
        'WARNING: --cloud-init: was set to none, not creating a data source although other cloud-init options were set',
      );
    return credentials;
  }
  const userData = flags.cloudInitUserData ?? buildUserData(flags, gaManageSsh);
  const source = {
    ...(flags.cloudInitNetworkData !== undefined ? { networkDataBase64: flags.cloudInitNetworkData } : {}),
    ...(flags.cloudInitUserData !== undefined ? { userDataBase64: userData } : { userData }),
  };
  // Only the header and no network data, and no --cloud-init asked for a volume: virtctl adds none.
  if (cloudInit === undefined && userData === HEADER && flags.cloudInitNetworkData === undefined)
    return credentials;
  if (flags.cloudInitUserData === undefined && Buffer.byteLength(userData) > CLOUD_INIT_MAX_BYTES) {
    problems.addLine(
      `the cloud-init user data --user, --password-file and --ssh-key make is ${Buffer.byteLength(userData)} bytes; KubeVirt takes at most ${CLOUD_INIT_MAX_BYTES} bytes inline: give fewer keys, or keep them in a Secret and pass it with --access-cred type:ssh,src:SECRET`,
    );
    return credentials;
  }
  const volume: Volume =
    type === 'configdrive'
      ? { name: CLOUD_INIT_VOLUME, cloudInitConfigDrive: source }
      : { name: CLOUD_INIT_VOLUME, cloudInitNoCloud: source };
  try {
    set.add(volume, {});
  } catch (err) {
    if (!(err instanceof ParamError)) throw err;
    problems.addLine(
      `the cloud-init flags add a volume named ${CLOUD_INIT_VOLUME}, and another volume already has that name; rename that one with name:...`,
    );
  }
  return credentials;
}
