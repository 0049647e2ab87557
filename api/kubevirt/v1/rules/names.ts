/**
 * Names that the runtime turns into file names and QEMU identifiers: volumes, disks,
 * networks and interfaces. Volume and disk names are DNS labels (KubeVirt's API says so);
 * interface and network names follow KubeVirt's interface rule (letters, digits, '-', '_'),
 * not starting with '-' and at most 63 characters, so every name admission accepts is one
 * the runtime's `safeName` (api/host-path.ts) accepts too.
 */
import { escapeControl } from '../../../host-path';
import {
  DNS_1123_LABEL_MAX_LENGTH,
  DNS_1123_LABEL_PATTERN,
  INTERFACE_NAME_PATTERN,
} from '../../../schema/patterns';
import { error, field, index, type Issue } from '../../../validation/issue';
import { dig, records, str, type Json } from '../../../validation/readers';

const LABEL = new RegExp(DNS_1123_LABEL_PATTERN);
const IFACE = new RegExp(INTERFACE_NAME_PATTERN);

function labelIssues(name: string, at: string, what: string, rule: string): Issue[] {
  const issues: Issue[] = [];
  const shown = escapeControl(name);
  if (name.length > DNS_1123_LABEL_MAX_LENGTH)
    issues.push(
      error(at, `${what} name "${shown}" must be no more than ${DNS_1123_LABEL_MAX_LENGTH} characters`, rule),
    );
  if (!LABEL.test(name))
    issues.push(
      error(
        at,
        `${what} name "${shown}" must be a DNS label: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name', or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
        rule,
      ),
    );
  return issues;
}

function interfaceIssues(name: string, at: string, rule: string): Issue[] {
  const issues: Issue[] = [];
  if (name.length > DNS_1123_LABEL_MAX_LENGTH)
    issues.push(
      error(
        at,
        `Network interface name "${escapeControl(name)}" must be no more than ${DNS_1123_LABEL_MAX_LENGTH} characters`,
        rule,
      ),
    );
  if (!IFACE.test(name) || name.startsWith('-'))
    issues.push(
      error(
        at,
        'Network interface name can only contain alphabetical characters, numbers, dashes (-) or underscores (_), and must not start with a dash',
        rule,
      ),
    );
  return issues;
}

/** Name checks for every volume, disk, network and interface of a VMI spec at `base`. */
export function checkNames(spec: Json, base: string): Issue[] {
  const issues: Issue[] = [];
  const each = (list: unknown, listPath: string, check: (name: string, at: string) => Issue[]): void => {
    records(list).forEach((entry, i) => {
      const name = str(entry.name);
      // An absent name is the schema's to report ("name is required"); an empty one is no name either.
      if (name !== undefined) issues.push(...check(name, field(index(listPath, i), 'name')));
    });
  };
  each(spec.volumes, `${base}.volumes`, (n, at) => labelIssues(n, at, 'volume', 'vmi.volume-name-format'));
  each(dig(spec, 'domain', 'devices', 'disks'), `${base}.domain.devices.disks`, (n, at) =>
    labelIssues(n, at, 'disk', 'vmi.disk-name-format'),
  );
  each(spec.networks, `${base}.networks`, (n, at) => interfaceIssues(n, at, 'vmi.network-name-format'));
  each(dig(spec, 'domain', 'devices', 'interfaces'), `${base}.domain.devices.interfaces`, (n, at) =>
    interfaceIssues(n, at, 'vmi.interface-name-format'),
  );
  return issues;
}
