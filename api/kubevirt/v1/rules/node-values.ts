/**
 * Values of a VMI spec that reach the node as they are written: QEMU options (CPU model and
 * features, machine type, firmware UUID, kernel arguments, the pod network's CIDRs, the
 * clock's time zone), host paths and image references (hostDisk, containerDisk and kernelBoot
 * images, files inside a kernelBoot image), the guest's subdomain, and the names of the objects
 * the handler reads for volumes, credentials and networks. The launcher and the handler refuse
 * these again where they use them; admission refuses them where they are written, naming the
 * field, so a bad value never gets as far as a node.
 */
import { isIP } from 'net';
import { absoluteHostPathProblem, hasControl } from '../../../host-path';
import { localImagePath } from '../../../image-ref';
import { dns1123LabelProblems, dns1123SubdomainProblems } from '../../../validation/dns-names';
import { error, field, index, show, type Issue } from '../../../validation/issue';
import { dig, record, records, str, type Json } from '../../../validation/readers';

/** QEMU splits -cpu and -machine on commas with no escape: plain words only (the launcher's rule). */
const QEMU_WORD = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
/** IANA time zone names: `UTC`, `Europe/Berlin`, `Etc/GMT+5`, `America/Argentina/Buenos_Aires`. */
const TIME_ZONE = /^[A-Za-z0-9_+-]+(\/[A-Za-z0-9_+-]+){0,3}$/;
const TIME_ZONE_MAX = 64;

// A container image reference (the grammar of the distribution project's references):
// [registry[:port]/]path[:tag][@digest], the path lower case.
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const IMAGE_REFERENCE = new RegExp(
  `^(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*(?::${TAG})?(?:@${DIGEST})?$`,
);
/** The distribution project's limit on a repository name (registry and path, without tag and digest). */
const IMAGE_NAME_MAX = 255;

/** Why `image` is neither a container image reference nor a plain local path, or undefined. */
export function imageProblem(image: string): string | undefined {
  if (image === '') return 'must not be empty; give an image such as quay.io/containerdisks/fedora:40';
  if (hasControl(image)) return 'contains a NUL or control character; use printable characters only';
  const local = localImagePath(image);
  if (local !== undefined) {
    const problem = absoluteHostPathProblem(local);
    return problem && `names a local file that ${problem}`;
  }
  const name = image.replace(/@.*$/, '').replace(/:[^/:]*$/, '');
  if (name.length > IMAGE_NAME_MAX)
    return `names a repository of ${name.length} characters; a repository name has at most ${IMAGE_NAME_MAX}`;
  if (image.length > 4 * IMAGE_NAME_MAX || !IMAGE_REFERENCE.test(image))
    return 'is not a container image reference: write [registry/]repository[:tag][@digest] with a lower-case repository, such as quay.io/containerdisks/fedora:40 (or, with the LocalContainerDisk feature gate, an absolute path or file:// URL)';
  return undefined;
}

/** KubeVirt's check of a file inside a kernelBoot image, with its wording. */
function imageFileIssues(value: unknown, at: string, parent: string): Issue[] {
  const p = str(value);
  if (p === undefined || p === '') return [];
  if (hasControl(p) || !p.startsWith('/') || p.split('/').some((s) => s === '..' || s === '.'))
    return [
      error(
        at,
        `${parent} must be an absolute path to a file without relative components (${show(p)})`,
        'vmi.kernel-boot-path',
      ),
    ];
  return [];
}

function wordIssues(value: unknown, at: string, what: string, example: string, rule: string): Issue[] {
  const v = str(value);
  if (v === undefined || QEMU_WORD.test(v)) return [];
  return [
    error(
      at,
      `${what} ${show(v)} may only contain letters, digits, '.', '_' and '-' (at most 128); use a name such as ${example}`,
      rule,
    ),
  ];
}

function cidrProblem(value: string, family: 4 | 6): boolean {
  const slash = value.lastIndexOf('/');
  if (slash < 0) return true;
  const address = value.slice(0, slash);
  const bits = value.slice(slash + 1);
  const max = family === 4 ? 32 : 128;
  return isIP(address) !== family || !/^\d{1,3}$/.test(bits) || Number(bits) > max;
}

/** A LocalObjectReference name: the name of an object, so a DNS-1123 subdomain. */
function refIssues(value: unknown, at: string, what: string): Issue[] {
  const v = str(value);
  if (v === undefined || v === '') return []; // a missing name is the required-field rule's
  const problems = dns1123SubdomainProblems(v);
  if (!problems.length) return [];
  return [error(at, `${what} ${show(v)} is not an object name: it ${problems.join('; ')}`, 'vmi.object-ref')];
}

/** Multus networkName: `name` or `namespace/name` of a NetworkAttachmentDefinition. */
function multusIssues(value: unknown, at: string): Issue[] {
  const v = str(value);
  if (v === undefined || v === '') return [];
  const parts = v.split('/');
  const problems =
    parts.length > 2
      ? ["has more than one '/'; write name or namespace/name"]
      : parts.length === 2
        ? [
            ...dns1123LabelProblems(parts[0]).map((p) => `its namespace ${p}`),
            ...dns1123SubdomainProblems(parts[1]).map((p) => `its name ${p}`),
          ]
        : dns1123SubdomainProblems(v);
  if (!problems.length) return [];
  return [
    error(
      at,
      `network ${show(v)} does not name a NetworkAttachmentDefinition (name or namespace/name): it ${problems.join('; ')}`,
      'vmi.multus-network-name-format',
    ),
  ];
}

function volumeIssues(volume: Json, at: string): Issue[] {
  const issues: Issue[] = [];
  const image = str(dig(volume, 'containerDisk', 'image'));
  if (image !== undefined) {
    const problem = imageProblem(image);
    const p = field(field(at, 'containerDisk'), 'image');
    if (problem) issues.push(error(p, `${p} ${show(image)} ${problem}`, 'vmi.containerdisk-image'));
  }
  const hostPath = str(dig(volume, 'hostDisk', 'path'));
  if (hostPath) {
    const problem = absoluteHostPathProblem(hostPath);
    const p = field(field(at, 'hostDisk'), 'path');
    if (problem) issues.push(error(p, `${p} ${show(hostPath)} ${problem}`, 'vmi.hostdisk-path-format'));
  }
  const refs: [string[], string][] = [
    [['configMap', 'name'], 'ConfigMap'],
    [['secret', 'secretName'], 'Secret'],
    [['serviceAccount', 'serviceAccountName'], 'ServiceAccount'],
    [['sysprep', 'configMap', 'name'], 'ConfigMap'],
    [['sysprep', 'secret', 'name'], 'Secret'],
    [['persistentVolumeClaim', 'claimName'], 'PersistentVolumeClaim'],
    [['dataVolume', 'name'], 'DataVolume'],
    [['memoryDump', 'claimName'], 'PersistentVolumeClaim'],
    [['cloudInitNoCloud', 'secretRef', 'name'], 'Secret'],
    [['cloudInitNoCloud', 'networkDataSecretRef', 'name'], 'Secret'],
    [['cloudInitConfigDrive', 'secretRef', 'name'], 'Secret'],
    [['cloudInitConfigDrive', 'networkDataSecretRef', 'name'], 'Secret'],
  ];
  for (const [keys, what] of refs)
    issues.push(...refIssues(dig(volume, ...keys), keys.reduce(field, at), what));
  return issues;
}

/** Every check of a value that reaches the node, for the VMI spec at `base`. */
export function checkNodeValues(spec: Json, base: string): Issue[] {
  const issues: Issue[] = [];
  const d = `${base}.domain`;
  const cpu = record(dig(spec, 'domain', 'cpu'));
  issues.push(...wordIssues(cpu?.model, `${d}.cpu.model`, 'CPU model', 'Skylake-Server', 'vmi.cpu-model'));
  records(cpu?.features).forEach((f, i) => {
    const at = field(index(`${d}.cpu.features`, i), 'name');
    issues.push(...wordIssues(f.name, at, 'CPU feature', 'pcid', 'vmi.cpu-feature-name'));
  });
  issues.push(
    ...wordIssues(
      dig(spec, 'domain', 'machine', 'type'),
      `${d}.machine.type`,
      'machine type',
      'q35',
      'vmi.machine-type',
    ),
  );
  const uuid = str(dig(spec, 'domain', 'firmware', 'uuid'));
  if (uuid !== undefined && !UUID.test(uuid))
    issues.push(
      error(
        `${d}.firmware.uuid`,
        `${d}.firmware.uuid ${show(uuid)} is not a UUID; write one such as 5d307ca9-b3ef-428c-8861-06e72d69f223, or leave it out to have one derived from the name`,
        'vmi.firmware-uuid',
      ),
    );
  const kb = `${d}.firmware.kernelBoot`;
  const args = str(dig(spec, 'domain', 'firmware', 'kernelBoot', 'kernelArgs'));
  if (args !== undefined && hasControl(args))
    issues.push(
      error(
        `${kb}.kernelArgs`,
        `${kb}.kernelArgs contains a newline or control character; write the kernel command line on one line`,
        'vmi.kernel-args-format',
      ),
    );
  const kbContainer = record(dig(spec, 'domain', 'firmware', 'kernelBoot', 'container'));
  if (kbContainer) {
    const image = str(kbContainer.image);
    const problem = image === undefined ? undefined : imageProblem(image);
    if (problem)
      issues.push(
        error(
          `${kb}.container.image`,
          `${kb}.container.image ${show(image)} ${problem}`,
          'vmi.kernel-boot-image',
        ),
      );
    for (const key of ['kernelPath', 'initrdPath'])
      issues.push(...imageFileIssues(kbContainer[key], `${kb}.container.${key}`, `${kb}.container.${key}`));
  }
  const tz = str(dig(spec, 'domain', 'clock', 'timezone'));
  if (tz !== undefined && (tz.length > TIME_ZONE_MAX || !TIME_ZONE.test(tz)))
    issues.push(
      error(
        `${d}.clock.timezone`,
        `${d}.clock.timezone ${show(tz)} is not a time zone name; use one such as UTC or Europe/Berlin`,
        'vmi.clock-timezone',
      ),
    );
  const subdomain = str(spec.subdomain);
  if (subdomain) {
    const problems = dns1123LabelProblems(subdomain);
    if (problems.length)
      issues.push(
        error(
          `${base}.subdomain`,
          `${base}.subdomain ${show(subdomain)} does not conform to the kubernetes DNS_LABEL rules: it ${problems.join('; ')}`,
          'vmi.subdomain',
        ),
      );
  }
  records(spec.volumes).forEach((v, i) => issues.push(...volumeIssues(v, index(`${base}.volumes`, i))));
  records(spec.networks).forEach((n, i) => {
    const at = index(`${base}.networks`, i);
    issues.push(...multusIssues(dig(n, 'multus', 'networkName'), field(field(at, 'multus'), 'networkName')));
    for (const [key, family] of [
      ['vmNetworkCIDR', 4],
      ['vmIPv6NetworkCIDR', 6],
    ] as const) {
      const cidr = str(dig(n, 'pod', key));
      if (cidr !== undefined && cidrProblem(cidr, family))
        issues.push(
          error(
            `${at}.pod.${key}`,
            `${at}.pod.${key} ${show(cidr)} is not a valid IPv${family} CIDR; write one such as ${family === 4 ? '10.0.2.0/24' : 'fd10:0:2::/120'}`,
            'vmi.pod-network-cidr',
          ),
        );
    }
  });
  records(spec.accessCredentials).forEach((c, i) => {
    const at = index(`${base}.accessCredentials`, i);
    for (const type of ['sshPublicKey', 'userPassword'])
      issues.push(
        ...refIssues(
          dig(c, type, 'source', 'secret', 'secretName'),
          `${at}.${type}.source.secret.secretName`,
          'Secret',
        ),
      );
  });
  return issues;
}
