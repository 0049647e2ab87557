/**
 * What goes into virtkit's container images, as data: the Debian packages of each image, its
 * user, entrypoint and environment, and the layers every image shares. Pure: the builder
 * (./build.ts) turns a recipe into an OCI image; the tests read the same recipes to know what to
 * expect.
 *
 * Two images:
 *  - `virtkit`: `virtkit api`, `controller`, `handler` and `importer`, chosen by the arguments
 *    (entrypoint `virtkit`). It runs as 65532 by default; the handler's DaemonSet runs it as
 *    root and privileged, as KubeVirt's virt-handler runs.
 *  - `virtkit-launcher`: `virtkit launcher` with QEMU, its firmware and the tools it execs, as
 *    KubeVirt's qemu user (107), as virt-launcher runs.
 */

/** Bump when anything the builder does changes: it is part of every input hash. */
export const RECIPE_VERSION = 'images-2';

/** Where the images are named (`ctr images import --base-name`), like the sandbox image. */
export const IMAGE_REGISTRY = 'virtkit.local';

/** The Debian release the images are made of (the one this machine runs). */
export const DEBIAN_SUITE = 'bookworm';

/**
 * The apt sources the root filesystems are made from: this machine's Debian sources (the
 * release, its updates and its security updates, as the machine is set up), or the file
 * VIRTKIT_IMAGES_APT_SOURCES names (one-line or deb822 format).
 */
export const HOST_APT_SOURCES = '/etc/apt/sources.list.d/debian.sources';
export const APT_SOURCES_ENV = 'VIRTKIT_IMAGES_APT_SOURCES';

/** Where the application lives inside the images. */
export const APP_DIR = '/opt/virtkit';
/** The command on PATH: a link to the package's bin/virtkit.js (shebang `/usr/bin/env node`). */
export const ENTRYPOINT = '/usr/local/bin/virtkit';
/** The file listing the image's Debian packages (`name=version`, sorted), inside the image. */
export const PACKAGE_LIST_FILE = '/usr/share/virtkit/debian-packages.txt';

export type ImageName = 'virtkit' | 'virtkit-launcher';

export interface ImageUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  /** Its home, created owned by it (mode 0750). */
  readonly home: string;
}

export interface ImageRecipe {
  readonly name: ImageName;
  readonly description: string;
  /**
   * Debian packages beyond the essential set (mmdebstrap's `essential` variant: no apt),
   * installed without recommends. Each one names why in ../docs/runtime-images.md.
   */
  readonly packages: readonly string[];
  /** The default user (the image config's `User`); never root. */
  readonly user: ImageUser;
  /** Extra files from this machine that the image carries (host path -> path in the image). */
  readonly hostFiles: readonly { readonly from: 'whereabouts'; readonly to: string }[];
}

/** What both images run: Node.js's C++ runtime, and the tools both the launcher and the handler exec. */
const COMMON_PACKAGES = [
  'libstdc++6', // Node.js is linked against it (libc6 and libgcc-s1 are in the essential set)
  'iproute2', // ip / bridge: pod interfaces, taps, bridges (common/ip-command.ts)
  'nftables', // nft: the masquerade binding's NAT rules (launcher), CNI rules (handler)
  'qemu-utils', // qemu-img: overlays and empty disks (launcher), image conversion (importer)
];

export const RECIPES: Readonly<Record<ImageName, ImageRecipe>> = {
  virtkit: {
    name: 'virtkit',
    description: 'virtkit api, controller, handler and importer (the command is chosen by the arguments)',
    packages: [
      ...COMMON_PACKAGES,
      'openssl', // the export controller's TLS certificates (controller/export/certificate.ts)
      'iptables', // the bridge and portmap CNI plugins write NAT rules with it
      'containernetworking-plugins', // the reference CNI plugins the handler executes (/usr/lib/cni)
      'xz-utils', // the importer decompresses .xz images with xz
      'mount', // losetup: Block volumes of the local provisioner are loop devices
    ],
    user: { name: 'virtkit', uid: 65532, gid: 65532, home: '/home/virtkit' },
    // The whereabouts IPAM plugin is built from its Go module (scripts/build-whereabouts.sh);
    // the handler finds it beside Debian's plugins.
    hostFiles: [{ from: 'whereabouts', to: '/usr/lib/cni/whereabouts' }],
  },
  'virtkit-launcher': {
    name: 'virtkit-launcher',
    description: 'virtkit launcher: one VM, QEMU driven over QMP',
    packages: [
      ...COMMON_PACKAGES,
      'qemu-system-x86', // qemu-system-x86_64 (SeaBIOS and iPXE ROMs come as its dependencies)
      'ovmf', // EFI firmware, with and without Secure Boot (launcher/host/firmware.ts)
      'genisoimage', // cloud-init NoCloud / ConfigDrive ISO images (launcher/runtime/iso.ts)
    ],
    user: { name: 'qemu', uid: 107, gid: 107, home: '/home/qemu' },
    hostFiles: [],
  },
};

export const IMAGE_NAMES = Object.keys(RECIPES) as ImageName[];

/**
 * dpkg path filters of every image: no manual pages, info pages, translations or documentation
 * (copyright files stay: they are the licences), and not the Secure Boot test key ovmf ships
 * (`PkKek-1-snakeoil.key`, a private key nothing at run time reads).
 */
export const DPKG_PATH_FILTERS: readonly string[] = [
  'path-exclude=/usr/share/man/*',
  'path-exclude=/usr/share/info/*',
  'path-exclude=/usr/share/locale/*',
  'path-include=/usr/share/locale/locale.alias',
  'path-exclude=/usr/share/doc/*',
  'path-include=/usr/share/doc/*/copyright',
  'path-exclude=/usr/share/lintian/*',
  'path-exclude=/usr/share/ovmf/PkKek-1-snakeoil.key',
];

/**
 * Programs no image may hold: compilers, assemblers, linkers, build drivers, and package
 * managers that fetch code (dpkg stays, so scanners can read /var/lib/dpkg/status; it fetches
 * nothing).
 */
export const FORBIDDEN_PROGRAMS: readonly string[] = [
  'gcc',
  'g++',
  'cc',
  'c++',
  'cpp',
  'clang',
  'tcc',
  'make',
  'go',
  'as',
  'ld',
  'ld.bfd',
  'ld.gold',
  'apt',
  'apt-get',
  'npm',
  'npx',
  'corepack',
  'yarn',
  'pip',
  'pip3',
];

/** The folders whose programs FORBIDDEN_PROGRAMS names (PATH of the images and the usual others). */
export const PROGRAM_DIRS: readonly string[] = [
  'usr/local/sbin',
  'usr/local/bin',
  'usr/sbin',
  'usr/bin',
  'sbin',
  'bin',
  'usr/lib/go/bin',
  `${APP_DIR.slice(1)}/node_modules/.bin`,
];

export const IMAGE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The image's `ref` (`virtkit.local/<name>:<tag>`). */
export function imageRef(name: ImageName, tag: string): string {
  return `${IMAGE_REGISTRY}/${name}:${tag}`;
}

/** The tag of a build: the package version and the first 12 hex digits of the input hash. */
export function imageTag(version: string, inputHash: string): string {
  return `${version}-${inputHash.slice(0, 12)}`;
}

/** `/etc/passwd`, `/etc/group` and `/etc/shadow` lines of the image's user (no password, no login shell). */
export function userEntries(u: ImageUser): { passwd: string; group: string; shadow: string } {
  return {
    passwd: `${u.name}:x:${u.uid}:${u.gid}::${u.home}:/usr/sbin/nologin`,
    group: `${u.name}:x:${u.gid}:`,
    shadow: `${u.name}:!:0::::::`,
  };
}

/** The labels a build records in the image config. */
export interface ImageLabels {
  readonly version: string;
  readonly inputHash: string;
  readonly nodeVersion: string;
  /** sha256 of the package list file (PACKAGE_LIST_FILE). */
  readonly packagesSha256: string;
}

/** The `umoci config` arguments of an image: user, entrypoint, environment, labels, a fixed date. */
export function imageConfigArgs(recipe: ImageRecipe, labels: ImageLabels): string[] {
  const label = (k: string, v: string): string[] => ['--config.label', `${k}=${v}`];
  return [
    '--no-history',
    '--created',
    '1970-01-01T00:00:00Z',
    '--author',
    'virtkit',
    '--architecture',
    'amd64',
    '--os',
    'linux',
    '--config.user',
    `${recipe.user.uid}:${recipe.user.gid}`,
    '--config.entrypoint',
    ENTRYPOINT,
    '--config.workingdir',
    recipe.user.home,
    '--config.env',
    `PATH=${IMAGE_PATH}`,
    '--config.env',
    'NODE_ENV=production',
    '--config.env',
    `HOME=${recipe.user.home}`,
    ...label('org.opencontainers.image.title', recipe.name),
    ...label('org.opencontainers.image.description', recipe.description),
    ...label('org.opencontainers.image.version', labels.version),
    ...label('org.opencontainers.image.licenses', 'Apache-2.0'),
    ...label('io.virtkit.image.inputs', labels.inputHash),
    ...label('io.virtkit.image.nodejs', labels.nodeVersion),
    ...label('io.virtkit.image.debian-packages', `${PACKAGE_LIST_FILE} sha256:${labels.packagesSha256}`),
  ];
}

/** `name=version` lines, sorted by name, one per package, ending with a newline. */
export function packageListText(packages: ReadonlyMap<string, string>): string {
  return [...packages]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([n, v]) => `${n}=${v}\n`)
    .join('');
}

/** The packages apt would install, from the `Inst name (version ...)` lines of a simulated run. */
export function parseSimulatedInstall(output: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of output.matchAll(/^Inst (\S+) (?:\[[^\]]*\] )?\((\S+) /gm)) out.set(m[1]!, m[2]!);
  return out;
}
