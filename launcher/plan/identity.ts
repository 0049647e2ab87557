/**
 * Pure checks of the values that name the guest everywhere (QEMU's -name, cloud-init
 * meta-data, the guest's host name) and of the work directory every generated path sits in.
 * The runtime trusts nothing it reads: a value that would change a file or a command line is
 * refused here, naming the field.
 */
import * as path from 'path';
import {
  DNS_1123_LABEL_MAX_LENGTH,
  DNS_1123_LABEL_PATTERN,
  DNS_1123_SUBDOMAIN_MAX_LENGTH,
  DNS_1123_SUBDOMAIN_PATTERN,
} from '../../api/schema/patterns';
import { hasControl } from '../../api/host-path';
import type { ProblemList } from './errors';
import type { LaunchContext } from './types';

/** The launcher's --workdir, named in errors like a field. */
export const WORKDIR = '--workdir';

const LABEL = new RegExp(DNS_1123_LABEL_PATTERN);
const SUBDOMAIN = new RegExp(DNS_1123_SUBDOMAIN_PATTERN);
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** RFC 1123 label rules (KubeVirt's DNS_LABEL), or why not. */
export function dnsLabelProblem(value: string): string | undefined {
  if (value.length > DNS_1123_LABEL_MAX_LENGTH)
    return `must be no more than ${DNS_1123_LABEL_MAX_LENGTH} characters`;
  if (!LABEL.test(value))
    return "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name', or '123-abc')";
  return undefined;
}

function subdomainProblem(value: string): string | undefined {
  if (value.length > DNS_1123_SUBDOMAIN_MAX_LENGTH)
    return `must be no more than ${DNS_1123_SUBDOMAIN_MAX_LENGTH} characters`;
  if (!SUBDOMAIN.test(value))
    return "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com')";
  return undefined;
}

function isPlainAbsolute(dir: string): boolean {
  return path.isAbsolute(dir) && !hasControl(dir) && !dir.split('/').includes('..');
}

export function checkIdentity(
  vmi: {
    metadata?: { name?: string; namespace?: string };
    spec: { hostname?: string; domain: { firmware?: { uuid?: string } } };
  },
  ctx: LaunchContext,
  problems: ProblemList,
): void {
  const name = vmi.metadata?.name;
  const nameProblem = name === undefined ? undefined : subdomainProblem(name);
  if (nameProblem) problems.add('metadata.name', nameProblem, name);
  const ns = vmi.metadata?.namespace;
  const nsProblem = ns === undefined ? undefined : dnsLabelProblem(ns);
  if (nsProblem) problems.add('metadata.namespace', nsProblem, ns);
  const hostname = vmi.spec.hostname;
  // The host name reaches cloud-init meta-data and QEMU's DHCP server: RFC 1123 label only.
  const hostProblem = hostname === undefined ? undefined : dnsLabelProblem(hostname);
  if (hostProblem) problems.add('spec.hostname', hostProblem, hostname);
  const uuid = vmi.spec.domain.firmware?.uuid;
  if (uuid !== undefined && !UUID.test(uuid))
    problems.add(
      'spec.domain.firmware.uuid',
      'must be a UUID such as 5d307ca9-b3ef-428c-8861-06e72d69f223',
      uuid,
    );
  for (const [flag, dir] of [
    [WORKDIR, ctx.workDir],
    ['--state-dir', ctx.stateDir],
  ] as const) {
    if (dir !== undefined && !isPlainAbsolute(dir))
      problems.add(flag, 'must be an absolute, normalised path without control characters', dir);
  }
}
