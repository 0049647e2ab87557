/**
 * The options of cluster mode's install, their defaults, and their validation (pure). Every
 * way of installing (`virtkit install`, the cdk8s `VirtkitInstall` construct, the Pulumi
 * `Install` component) passes its options here; a bad value is reported with the option's
 * name, the value and the fix, every problem at once.
 */
import { FEATURE_GATES } from '../feature-gates';
import { dns1123LabelProblems, labelValueProblems } from '../validation/dns-names';
import { printable } from '../validation/printable';
import { error, show, type Issue } from '../validation/issue';
import { API_SERVICE_NAMESPACE } from './api-services';
import { registryMirrorOf, REGISTRY_MIRROR_SYNTAX } from '../registry-mirror';

/** Where `virtkit api`'s serving certificate comes from. */
export enum CertificateMode {
  /**
   * `virtkit api` makes its own CA and serving certificate, keeps them in a Secret and writes
   * the CA bundle into its webhook configuration and APIServices; the manifests carry neither.
   */
  SELF_SIGNED = 'self-signed',
  /** cert-manager issues them (it must be installed); its CA injector writes the CA bundles. */
  CERT_MANAGER = 'cert-manager',
}

export const IMAGE_PULL_POLICIES = ['IfNotPresent', 'Always', 'Never'] as const;
export type ImagePullPolicy = (typeof IMAGE_PULL_POLICIES)[number];

/** The settings of an install; each one left out takes the default its documentation names. */
export interface InstallOptions {
  /** The namespace of virtkit's components and configuration. @default "virtkit" */
  readonly namespace?: string;
  /**
   * Where the images come from: `<registry>/virtkit:<tag>` and `<registry>/virtkit-launcher:<tag>`
   * (the names `npm run images` gives them).
   * @default "virtkit.local"
   */
  readonly registry?: string;
  /** The tag of both images. @default the version of virtkit that renders the install */
  readonly tag?: string;
  /** The image of the controller, the api and the handler (overrides registry and tag). @default `<registry>/virtkit:<tag>` */
  readonly virtkitImage?: string;
  /** The image of launcher pods, passed to the controller (overrides registry and tag). @default `<registry>/virtkit-launcher:<tag>` */
  readonly launcherImage?: string;
  /** imagePullPolicy of virtkit's own containers. @default "IfNotPresent" */
  readonly imagePullPolicy?: string;
  /** Replicas of the controller Deployment (one leads, the others stand by). @default 2 */
  readonly controllerReplicas?: number;
  /** Replicas of the api Deployment (all serve). @default 2 */
  readonly apiReplicas?: number;
  /** Where the api's serving certificate comes from. @default "self-signed" */
  readonly certificates?: `${CertificateMode}`;
  /** Feature gates turned on in the KubeVirt object (HostDisk, HostDevices, GPU...). @default none */
  readonly featureGates?: readonly string[];
  /**
   * KubeVirt's `developerConfiguration.useEmulation` in the KubeVirt object: launcher pods do not
   * ask for `devices.kubevirt.io/kvm`, so guests run under software emulation on nodes without
   * a usable /dev/kvm. @default false (every launcher pod asks for one kvm device)
   */
  readonly useEmulation?: boolean;
  /** Also install the NetworkAttachmentDefinition, Kube-OVN and whereabouts CRDs. @default false */
  readonly withNetworkCrds?: boolean;
  /** Also install the snapshot.storage.k8s.io CRDs (clusters usually bring their own). @default false */
  readonly withVolumeSnapshotCrds?: boolean;
  /**
   * Registry mirrors of the handlers, which pull containerDisk images (`HOST=URL`, such as
   * `quay.io=http://10.0.0.5:5000`: references naming HOST are pulled from URL first, then from
   * HOST), as containerd's hosts.toml gives the node's pulls. @default none
   */
  readonly registryMirrors?: readonly string[];
}

/** The options with every default filled in, checked. */
export interface ResolvedInstallOptions {
  readonly namespace: string;
  readonly virtkitImage: string;
  readonly launcherImage: string;
  readonly imagePullPolicy: ImagePullPolicy;
  readonly controllerReplicas: number;
  readonly apiReplicas: number;
  readonly certificates: CertificateMode;
  readonly featureGates: readonly string[];
  readonly useEmulation: boolean;
  readonly withNetworkCrds: boolean;
  readonly withVolumeSnapshotCrds: boolean;
  /** `HOST=URL` entries, each checked, in the order given. */
  readonly registryMirrors: readonly string[];
  /** The version of virtkit that renders the install (labels, default tag). */
  readonly version: string;
}

/** Where `npm run images` names the images (images/recipes.ts), and containerd imports them. */
export const DEFAULT_REGISTRY = 'virtkit.local';
export const DEFAULT_REPLICAS = 2;
/** More replicas than this is a mistake (a typo of 2 as 20), not a need: each is a full process. */
export const MAX_REPLICAS = 10;

/** The option names InstallOptions knows, in the order they are documented. */
export const INSTALL_OPTION_NAMES: readonly (keyof InstallOptions)[] = [
  'namespace',
  'registry',
  'tag',
  'virtkitImage',
  'launcherImage',
  'imagePullPolicy',
  'controllerReplicas',
  'apiReplicas',
  'certificates',
  'featureGates',
  'useEmulation',
  'withNetworkCrds',
  'withVolumeSnapshotCrds',
  'registryMirrors',
];

/** Invalid install options: every problem, each naming the option, the value and the fix. */
export class InstallOptionsError extends Error {
  constructor(
    readonly issues: readonly Issue[],
    /** Who was given them, for the message (`virtkit:index:Install "virtkit"`, a construct path). */
    readonly subject?: string,
  ) {
    super(
      [
        `${subject ? `${printable(subject)}: ` : ''}invalid install options (${issues.length} problem${issues.length === 1 ? '' : 's'}):`,
        ...issues.map((i) => `  - ${printable(i.path)}: ${printable(i.message)}`),
      ].join('\n'),
    );
    this.name = 'InstallOptionsError';
  }

  /** The same problems with the options named as the caller's users know them (`--namespace`). */
  renamed(names: Readonly<Partial<Record<string, string>>>): InstallOptionsError {
    return new InstallOptionsError(
      this.issues.map((i) => ({ ...i, path: names[i.path.replace(/\[\d+\]$/, '')] ?? i.path })),
      this.subject,
    );
  }
}

// An image reference: [host[:port]/]path[:tag][@sha256:digest], as the distribution spec writes it.
// The first part is a host only when it has a dot or a port or is localhost (as Docker reads it);
// otherwise it is a path component, which must be lowercase.
const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?';
const PORT = '(?::[0-9]{1,5})';
const HOST = `(?:localhost${PORT}?|${LABEL}(?:\\.${LABEL})+${PORT}?|${LABEL}${PORT})`;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const TAG = '[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}';
const DIGEST = 'sha256:[a-f0-9]{64}';
const REGISTRY_RE = new RegExp(`^(?:${HOST}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$|^${HOST}$`);
const IMAGE_RE = new RegExp(
  `^(?:${HOST}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*(?::${TAG})?(?:@${DIGEST})?$`,
);
const TAG_RE = new RegExp(`^${TAG}$`);

const issue = (option: string, value: unknown, problem: string): Issue =>
  error(option, `${show(value)} ${problem}`, `install.${option}`);

function stringOption(
  issues: Issue[],
  option: string,
  value: unknown,
  check: (v: string) => string | undefined,
): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    issues.push(issue(option, value, 'is not a string; give text, or leave the option out for its default'));
    return undefined;
  }
  const problem = check(value);
  if (problem) {
    issues.push(issue(option, value, problem));
    return undefined;
  }
  return value;
}

function booleanOption(issues: Issue[], option: string, value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') {
    issues.push(issue(option, value, 'is not a boolean; give true or false'));
    return false;
  }
  return value;
}

function replicasOption(issues: Issue[], option: string, value: unknown): number {
  if (value === undefined) return DEFAULT_REPLICAS;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_REPLICAS) {
    issues.push(
      issue(
        option,
        value,
        `is not a whole number from 1 to ${MAX_REPLICAS}; give 2 (the default: one leads or serves while the other is replaced) or another count in that range`,
      ),
    );
    return DEFAULT_REPLICAS;
  }
  return value;
}

const imageProblem = (v: string): string | undefined =>
  IMAGE_RE.test(v)
    ? undefined
    : 'is not an image reference; give [registry/]repository[:tag][@sha256:digest], for example registry.example.com/virtkit/virtkit:0.1.0';

/**
 * The options with their defaults, or an InstallOptionsError listing every bad value. `version`
 * is the version of virtkit rendering the install: the default tag and the version label.
 */
export function resolveInstallOptions(options: InstallOptions, version: string): ResolvedInstallOptions {
  const issues: Issue[] = [];
  const given = (options ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(given))
    if (!(INSTALL_OPTION_NAMES as readonly string[]).includes(key) && given[key] !== undefined)
      issues.push(
        error(
          key,
          `is not an install option; the options are ${INSTALL_OPTION_NAMES.join(', ')}`,
          'install.unknown',
        ),
      );

  const namespace =
    stringOption(issues, 'namespace', given.namespace, (v) => {
      const problems = dns1123LabelProblems(v);
      return problems.length ? `${problems.join('; ')}; give a namespace name such as virtkit` : undefined;
    }) ?? API_SERVICE_NAMESPACE;
  const registry =
    stringOption(issues, 'registry', given.registry, (v) =>
      REGISTRY_RE.test(v)
        ? undefined
        : 'is not a registry and repository prefix; give host[:port][/path] or a repository path, for example registry.example.com/virtkit',
    ) ?? DEFAULT_REGISTRY;
  const tag =
    stringOption(issues, 'tag', given.tag, (v) =>
      TAG_RE.test(v)
        ? undefined
        : "is not an image tag; give letters, digits, '_', '.' and '-' (at most 128, not starting with '.' or '-'), for example 0.1.0",
    ) ?? version;
  const versionLabel = labelValueProblems(version);
  if (versionLabel.length)
    issues.push(
      issue('version', version, `cannot be the app.kubernetes.io/version label: ${versionLabel.join('; ')}`),
    );
  if (given.tag === undefined && !TAG_RE.test(version))
    issues.push(
      issue(
        'tag',
        version,
        'is the version of this virtkit, which is not an image tag; give the tag explicitly',
      ),
    );
  const virtkitImage =
    stringOption(issues, 'virtkitImage', given.virtkitImage, imageProblem) ?? `${registry}/virtkit:${tag}`;
  const launcherImage =
    stringOption(issues, 'launcherImage', given.launcherImage, imageProblem) ??
    `${registry}/virtkit-launcher:${tag}`;
  const imagePullPolicy = (stringOption(issues, 'imagePullPolicy', given.imagePullPolicy, (v) =>
    (IMAGE_PULL_POLICIES as readonly string[]).includes(v)
      ? undefined
      : `is not an image pull policy; give one of ${IMAGE_PULL_POLICIES.join(', ')}`,
  ) ?? 'IfNotPresent') as ImagePullPolicy;
  const modes = Object.values(CertificateMode) as string[];
  const certificates = (stringOption(issues, 'certificates', given.certificates, (v) =>
    modes.includes(v)
      ? undefined
      : `is not a certificate mode; give ${modes.join(' (the default: the api makes and rotates its own) or ')} (cert-manager must be installed)`,
  ) ?? CertificateMode.SELF_SIGNED) as CertificateMode;

  let featureGates: string[] = [];
  if (given.featureGates !== undefined) {
    if (!Array.isArray(given.featureGates))
      issues.push(issue('featureGates', given.featureGates, 'is not a list; give a list of gate names'));
    else
      given.featureGates.forEach((g: unknown, i: number) => {
        if (typeof g !== 'string' || !(g in FEATURE_GATES))
          issues.push(
            issue(
              `featureGates[${i}]`,
              g,
              `is not a feature gate virtkit knows; give one of ${Object.keys(FEATURE_GATES).join(', ')}`,
            ),
          );
      });
    if (Array.isArray(given.featureGates))
      featureGates = [
        ...new Set(
          given.featureGates.filter((g): g is string => typeof g === 'string' && g in FEATURE_GATES),
        ),
      ];
  }

  const registryMirrors: string[] = [];
  if (given.registryMirrors !== undefined) {
    if (!Array.isArray(given.registryMirrors))
      issues.push(
        issue('registryMirrors', given.registryMirrors, `is not a list; give a list of HOST=URL entries`),
      );
    else
      given.registryMirrors.forEach((m: unknown, i: number) => {
        const mirror = typeof m === 'string' ? registryMirrorOf(m) : { problem: REGISTRY_MIRROR_SYNTAX };
        if ('problem' in mirror)
          issues.push(issue(`registryMirrors[${i}]`, m, `is not a mirror; ${mirror.problem}`));
        else registryMirrors.push(`${mirror.registry}=${mirror.endpoint}`);
      });
  }

  const resolved: ResolvedInstallOptions = {
    namespace,
    virtkitImage,
    launcherImage,
    imagePullPolicy,
    controllerReplicas: replicasOption(issues, 'controllerReplicas', given.controllerReplicas),
    apiReplicas: replicasOption(issues, 'apiReplicas', given.apiReplicas),
    certificates,
    featureGates,
    withNetworkCrds: booleanOption(issues, 'withNetworkCrds', given.withNetworkCrds),
    withVolumeSnapshotCrds: booleanOption(issues, 'withVolumeSnapshotCrds', given.withVolumeSnapshotCrds),
    useEmulation: booleanOption(issues, 'useEmulation', given.useEmulation),
    registryMirrors,
    version,
  };
  if (issues.length) {
    // In the order the options are documented (unknown ones first).
    const rank = (i: Issue): number =>
      (INSTALL_OPTION_NAMES as readonly string[]).indexOf(i.path.replace(/\[\d+\]$/, ''));
    throw new InstallOptionsError([...issues].sort((a, b) => rank(a) - rank(b)));
  }
  return resolved;
}
