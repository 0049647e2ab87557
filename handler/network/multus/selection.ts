/**
 * Reading a pod's Multus network selection annotations (pure): `k8s.v1.cni.cncf.io/networks`
 * as a JSON array of network selection elements (`[{"name": "br-a", "namespace": "ns",
 * "interface": "net1", "mac": "...", "ips": ["10.1.1.5/24"]}]`) or Multus's short text form
 * (`ns/name@ifname, other`), and `v1.multus-cni.io/default-network` (`ns/name` or `name`).
 * Every problem of an annotation is gathered into one NetworkSelectionError.
 */
import { isIP } from 'net';
import {
  MULTUS_DEFAULT_NETWORK_ANNOTATION,
  MULTUS_NETWORKS_ANNOTATION,
  PRIMARY_POD_INTERFACE,
} from '../../../api/multus/pod-interfaces';
import { IFNAME_PATTERN } from '../cni/names';
import { isJsonObject } from '../cni/types';
import { NetworkSelectionError, type SelectionProblem } from './errors';

/** One secondary network a pod asks for. */
export interface NetworkSelection {
  /** The NetworkAttachmentDefinition's namespace (the pod's unless the element names another). */
  readonly namespace: string;
  /** The NetworkAttachmentDefinition's name. */
  readonly name: string;
  /** The interface inside the pod: the element's `interface`, else `net<position>` (net1, net2...). */
  readonly interface: string;
  /** The `mac` capability argument. */
  readonly mac?: string;
  /** The `ips` capability argument (addresses, optionally with a prefix). */
  readonly ips?: readonly string[];
}

/** A NetworkAttachmentDefinition reference. */
export interface NadReference {
  readonly namespace: string;
  readonly name: string;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const MAC = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;
/** Element fields Multus defines that virtkit does not pass on yet: refused, never ignored. */
const UNSUPPORTED_FIELDS = ['default-route', 'portMappings', 'bandwidth', 'cni-args', 'infiniband-guid'];

function nameProblems(ref: { namespace: string; name: string }, at: string): SelectionProblem[] {
  const out: SelectionProblem[] = [];
  if (!DNS_SUBDOMAIN.test(ref.name) || ref.name.length > 253)
    out.push({
      at,
      message: `name ${JSON.stringify(ref.name)} is not a NetworkAttachmentDefinition name`,
      fix: 'use a DNS-1123 subdomain (lower-case letters, digits, "-" and ".")',
    });
  if (!DNS_LABEL.test(ref.namespace) || ref.namespace.length > 63)
    out.push({
      at,
      message: `namespace ${JSON.stringify(ref.namespace)} is not a namespace name`,
      fix: 'use a DNS-1123 label (lower-case letters, digits and "-")',
    });
  return out;
}

function ifNameProblems(ifName: string, at: string): SelectionProblem[] {
  if (!IFNAME_PATTERN.test(ifName))
    return [
      {
        at,
        message: `interface ${JSON.stringify(ifName)} is not a Linux interface name`,
        fix: 'use 1-15 letters, digits, "_", "." or "-"',
      },
    ];
  if (ifName === PRIMARY_POD_INTERFACE)
    return [
      {
        at,
        message: `interface ${JSON.stringify(ifName)} is the default network's`,
        fix: `name another interface, or select the network with ${MULTUS_DEFAULT_NETWORK_ANNOTATION} to replace the default`,
      },
    ];
  return [];
}

/** `ns/name@ifname`, `ns/name`, `name@ifname` or `name` (an element of the short form, or the default network). */
function parseShortElement(text: string, podNamespace: string): { ref: NadReference; ifName?: string } {
  const at = text.indexOf('@');
  const netPart = at < 0 ? text : text.slice(0, at);
  const ifName = at < 0 ? undefined : text.slice(at + 1);
  const slash = netPart.indexOf('/');
  const ref =
    slash < 0
      ? { namespace: podNamespace, name: netPart }
      : { namespace: netPart.slice(0, slash), name: netPart.slice(slash + 1) };
  return { ref, ...(ifName !== undefined ? { ifName } : {}) };
}

/** One element as written, before defaults and checks; `at` names it in messages. */
interface RawElement {
  readonly ref: NadReference;
  readonly ifName?: string;
  readonly mac?: string;
  readonly ips?: readonly string[];
  readonly at: string;
}

function elementsFromJson(text: string, podNamespace: string, problems: SelectionProblem[]): RawElement[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    problems.push({
      at: '',
      message: `is not valid JSON (${(e as Error).message})`,
      fix: 'write a JSON array such as [{"name": "br-a", "interface": "net1"}], or the short form "ns/name@ifname, other"',
    });
    return [];
  }
  if (!Array.isArray(doc)) {
    problems.push({ at: '', message: 'is not a JSON array', fix: 'write [{"name": "..."}, ...]' });
    return [];
  }
  const out: RawElement[] = [];
  doc.forEach((el, i) => {
    const at = `[${i}]`;
    if (!isJsonObject(el)) {
      problems.push({ at, message: 'is not an object', fix: 'give each network as {"name": "..."}' });
      return;
    }
    const before = problems.length;
    if (typeof el.name !== 'string' || el.name === '')
      problems.push({
        at: `${at}.name`,
        message: 'is required',
        fix: 'name the NetworkAttachmentDefinition',
      });
    for (const k of ['namespace', 'interface', 'mac'] as const)
      if (el[k] !== undefined && typeof el[k] !== 'string')
        problems.push({ at: `${at}.${k}`, message: 'is not a string', fix: `give ${k} as a string` });
    if (el.ips !== undefined && (!Array.isArray(el.ips) || el.ips.some((ip) => typeof ip !== 'string')))
      problems.push({
        at: `${at}.ips`,
        message: 'is not an array of strings',
        fix: 'give addresses such as ["10.1.1.5/24"]',
      });
    for (const k of UNSUPPORTED_FIELDS)
      if (el[k] !== undefined)
        problems.push({
          at: `${at}.${k}`,
          message: 'is not supported by virtkit yet',
          fix: 'remove it',
        });
    if (problems.length > before) return;
    const ns = typeof el.namespace === 'string' && el.namespace !== '' ? el.namespace : podNamespace;
    out.push({
      ref: { namespace: ns, name: el.name as string },
      ...(typeof el.interface === 'string' && el.interface !== '' ? { ifName: el.interface } : {}),
      ...(typeof el.mac === 'string' ? { mac: el.mac } : {}),
      ...(Array.isArray(el.ips) ? { ips: el.ips as string[] } : {}),
      at,
    });
  });
  return out;
}

/**
 * The secondary networks of `k8s.v1.cni.cncf.io/networks`, in annotation order, each with its
 * interface. Empty text (or no annotation) asks for none. Throws NetworkSelectionError.
 */
export function parseNetworkSelections(text: string | undefined, podNamespace: string): NetworkSelection[] {
  const trimmed = (text ?? '').trim();
  if (trimmed === '') return [];
  const problems: SelectionProblem[] = [];
  // As Multus decides: JSON when the text has any of [ { ", the short form otherwise.
  const elements: RawElement[] = /[[{"]/.test(trimmed)
    ? elementsFromJson(trimmed, podNamespace, problems)
    : trimmed.split(',').map((part, i): RawElement => {
        const p = part.trim();
        const at = JSON.stringify(p);
        if (p === '')
          problems.push({
            at: `element ${i + 1}`,
            message: 'is empty',
            fix: 'separate networks with one comma: "ns/name@ifname, other"',
          });
        const e = parseShortElement(p, podNamespace);
        if (e.ifName === '')
          problems.push({ at, message: 'has an empty interface after "@"', fix: 'name it or drop the "@"' });
        return { ...e, at };
      });

  const out: NetworkSelection[] = [];
  const seen = new Map<string, string>();
  elements.forEach((e, i) => {
    const ifName = e.ifName || `net${i + 1}`;
    problems.push(...nameProblems(e.ref, e.at), ...ifNameProblems(ifName, e.at));
    const clash = seen.get(ifName);
    if (clash !== undefined)
      problems.push({
        at: e.at,
        message: `interface ${JSON.stringify(ifName)} is used by ${clash} too`,
        fix: 'give each network its own interface',
      });
    seen.set(ifName, e.at);
    if (e.mac !== undefined && !MAC.test(e.mac))
      problems.push({
        at: e.at,
        message: `mac ${JSON.stringify(e.mac)} is not a MAC address`,
        fix: 'write six hex pairs separated by ":", e.g. 02:00:00:00:00:01',
      });
    const ips = e.ips;
    for (const ip of ips ?? [])
      if (!isAddress(ip))
        problems.push({
          at: e.at,
          message: `ips value ${JSON.stringify(ip)} is not an IP address`,
          fix: 'write an address, optionally with its prefix, e.g. 10.1.1.5/24',
        });
    out.push({
      namespace: e.ref.namespace,
      name: e.ref.name,
      interface: ifName,
      ...(e.mac !== undefined ? { mac: e.mac } : {}),
      ...(ips ? { ips: [...ips] } : {}),
    });
  });
  if (problems.length > 0) throw new NetworkSelectionError(MULTUS_NETWORKS_ANNOTATION, problems);
  return out;
}

/**
 * The NetworkAttachmentDefinition `v1.multus-cni.io/default-network` names (`ns/name` or
 * `name`), or undefined when the pod has none. Throws NetworkSelectionError.
 */
export function parseDefaultNetworkSelection(
  text: string | undefined,
  podNamespace: string,
): NadReference | undefined {
  const trimmed = (text ?? '').trim();
  if (trimmed === '') return undefined;
  const problems: SelectionProblem[] = [];
  const { ref, ifName } = parseShortElement(trimmed, podNamespace);
  if (ifName !== undefined)
    problems.push({
      at: '',
      message: `names an interface (${JSON.stringify(ifName)})`,
      fix: 'drop "@...": the default network is always eth0',
    });
  problems.push(...nameProblems(ref, ''));
  if (problems.length > 0) throw new NetworkSelectionError(MULTUS_DEFAULT_NETWORK_ANNOTATION, problems);
  return ref;
}

function isAddress(text: string): boolean {
  const slash = text.indexOf('/');
  if (slash < 0) return isIP(text) !== 0;
  const family = isIP(text.slice(0, slash));
  const prefix = text.slice(slash + 1);
  if (family === 0 || !/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}
