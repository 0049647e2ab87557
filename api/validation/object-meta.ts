/**
 * The object-meta rules the Kubernetes API server applies to every object, plus KubeVirt's
 * stricter name for the kinds whose name becomes a hostname. validateObject runs them for
 * every kind, so the constructs, admission and the CLI refuse the same names, namespaces,
 * labels and annotations the API server would, each with the JSON path of the problem.
 */
import type { KindDefinition } from '../kind';
import {
  DNS1123_LABEL_MAX,
  DNS1123_SUBDOMAIN_MAX,
  dns1123LabelProblems,
  dns1123SubdomainProblems,
  labelValueProblems,
  qualifiedNameProblems,
} from './dns-names';
import { error, show, warning, type Issue } from './issue';
import { dig, record, records, str } from './readers';

/** The API server's limit on the total size of an object's annotations (keys and values, in bytes). */
export const ANNOTATIONS_TOTAL_MAX = 256 * 1024;

/** Characters the API server appends to metadata.generateName. */
const GENERATED_SUFFIX_LENGTH = 5;

/**
 * Kinds whose name KubeVirt turns into the guest's hostname and into the launcher pod's
 * name, so it must be a DNS-1123 label (at most 63 characters, no dots) rather than a subdomain.
 */
const HOSTNAME_KINDS = new Set(['kubevirt.io/VirtualMachine', 'kubevirt.io/VirtualMachineInstance']);

type NameRule = 'label' | 'subdomain';

function nameRuleOf(def: KindDefinition): NameRule {
  return HOSTNAME_KINDS.has(`${def.group}/${def.kind}`) ? 'label' : 'subdomain';
}

/** A key of a map for a path: `metadata.labels["app"]`; long keys are cut so the path stays readable. */
export function keyPath(path: string, key: string): string {
  const shown = key.length > 80 ? `${key.slice(0, 77)}...` : key;
  return `${path}[${JSON.stringify(shown)}]`;
}

function maxLength(rule: NameRule): number {
  return rule === 'label' ? DNS1123_LABEL_MAX : DNS1123_SUBDOMAIN_MAX;
}

function nameProblems(rule: NameRule, value: string, max = maxLength(rule)): string[] {
  return rule === 'label' ? dns1123LabelProblems(value, max) : dns1123SubdomainProblems(value, max);
}

function ruleWords(rule: NameRule): string {
  return rule === 'label' ? 'DNS_LABEL' : 'DNS_SUBDOMAIN';
}

function checkName(kind: string, rule: NameRule, path: string, value: unknown): Issue[] {
  if (typeof value !== 'string') return []; // the schema names the wrong type
  if (value === '') return [error(path, 'must not be empty; set a name such as "web-1"', 'meta.name')];
  const problems = nameProblems(rule, value);
  if (!problems.length) return [];
  const why =
    rule === 'label'
      ? `; a ${kind}'s name becomes the guest's hostname and part of its pod's name, so use at most ${DNS1123_LABEL_MAX} lowercase letters, digits and '-', such as "web-1"`
      : "; use lowercase letters, digits, '-' and '.', such as \"web-1\"";
  return [
    error(
      path,
      `${show(value)} does not conform to the kubernetes ${ruleWords(rule)} rules: ${problems.join('; ')}${why}`,
      'meta.name',
    ),
  ];
}

function checkGenerateName(rule: NameRule, path: string, value: unknown): Issue[] {
  if (typeof value !== 'string' || value === '') return [];
  // The API server appends random characters, so a trailing '-' is fine and the prefix must leave room.
  const masked = value.length > 1 && value.endsWith('-') ? `${value.slice(0, -1)}a` : value;
  const problems = nameProblems(rule, masked, maxLength(rule) - GENERATED_SUFFIX_LENGTH);
  if (!problems.length) return [];
  return [
    error(
      path,
      `prefix ${show(value)} does not conform to the kubernetes ${ruleWords(rule)} rules once ${GENERATED_SUFFIX_LENGTH} random characters are added: ${problems.join('; ')}; use a short lowercase prefix such as "web-"`,
      'meta.generate-name',
    ),
  ];
}

function checkNamespace(def: KindDefinition, path: string, value: unknown): Issue[] {
  if (typeof value !== 'string') return [];
  if (def.scope === 'Cluster')
    return [
      warning(
        path,
        `${def.kind} is cluster-scoped, so its namespace ${show(value)} is ignored; remove metadata.namespace`,
        'meta.namespace-cluster-scoped',
      ),
    ];
  if (value === '') return []; // the default namespace
  const problems = dns1123LabelProblems(value);
  if (!problems.length) return [];
  return [
    error(
      path,
      `namespace ${show(value)} does not conform to the kubernetes DNS_LABEL rules: ${problems.join('; ')}; use a namespace name such as "default"`,
      'meta.namespace',
    ),
  ];
}

/** metadata.labels: keys are qualified names, values short label values. */
export function checkLabels(labels: unknown, path: string): Issue[] {
  const map = record(labels);
  if (!map) return [];
  const issues: Issue[] = [];
  for (const [key, value] of Object.entries(map)) {
    const at = keyPath(path, key);
    const keyProblems = qualifiedNameProblems(key);
    if (keyProblems.length)
      issues.push(
        error(at, `label key ${show(key)} is invalid: ${keyProblems.join('; ')}`, 'meta.label-key'),
      );
    if (typeof value !== 'string') continue; // the schema names the wrong type
    const valueProblems = labelValueProblems(value);
    if (valueProblems.length)
      issues.push(
        error(
          at,
          `label value ${show(value)} is invalid: ${valueProblems.join('; ')}; keep longer data in an annotation`,
          'meta.label-value',
        ),
      );
  }
  return issues;
}

/** metadata.annotations: keys are qualified names; keys and values together at most 256 KiB. */
export function checkAnnotations(annotations: unknown, path: string): Issue[] {
  const map = record(annotations);
  if (!map) return [];
  const issues: Issue[] = [];
  let total = 0;
  for (const [key, value] of Object.entries(map)) {
    total +=
      Buffer.byteLength(key, 'utf8') + (typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : 0);
    const keyProblems = qualifiedNameProblems(key);
    if (keyProblems.length)
      issues.push(
        error(
          keyPath(path, key),
          `annotation key ${show(key)} is invalid: ${keyProblems.join('; ')}`,
          'meta.annotation-key',
        ),
      );
  }
  if (total > ANNOTATIONS_TOTAL_MAX)
    issues.push(
      error(
        path,
        `annotations take ${total} bytes, more than the ${ANNOTATIONS_TOTAL_MAX} bytes (256 KiB) the API server allows in total; keep large data in a ConfigMap or Secret`,
        'meta.annotations-size',
      ),
    );
  return issues;
}

/** Labels and annotations of metadata embedded in a spec (templates), and its name when it has one. */
function checkEmbeddedMeta(meta: unknown, path: string, nameRule?: NameRule, kind = 'object'): Issue[] {
  const m = record(meta);
  if (!m) return [];
  return [
    ...(nameRule ? checkName(kind, nameRule, `${path}.name`, m.name) : []),
    ...checkLabels(m.labels, `${path}.labels`),
    ...checkAnnotations(m.annotations, `${path}.annotations`),
  ];
}

/** Templates a kind embeds whose metadata ends up on objects the API server will check. */
function embeddedMetadata(def: KindDefinition, object: unknown): Issue[] {
  const issues: Issue[] = [];
  const vmSpec = (spec: unknown, path: string) => {
    issues.push(...checkEmbeddedMeta(dig(spec, 'template', 'metadata'), `${path}.template.metadata`));
    records(dig(spec, 'dataVolumeTemplates')).forEach((dv, i) =>
      issues.push(
        ...checkEmbeddedMeta(
          dv.metadata,
          `${path}.dataVolumeTemplates[${i}].metadata`,
          'subdomain',
          'DataVolume',
        ),
      ),
    );
  };
  const spec = dig(object, 'spec');
  switch (`${def.group}/${def.kind}`) {
    case 'kubevirt.io/VirtualMachine':
      vmSpec(spec, 'spec');
      break;
    case 'kubevirt.io/VirtualMachineInstanceReplicaSet':
      issues.push(...checkEmbeddedMeta(dig(spec, 'template', 'metadata'), 'spec.template.metadata'));
      break;
    case 'pool.kubevirt.io/VirtualMachinePool':
      issues.push(
        ...checkEmbeddedMeta(
          dig(spec, 'virtualMachineTemplate', 'metadata'),
          'spec.virtualMachineTemplate.metadata',
        ),
      );
      vmSpec(dig(spec, 'virtualMachineTemplate', 'spec'), 'spec.virtualMachineTemplate.spec');
      break;
  }
  return issues;
}

/** Every object-meta problem of an object of the kind. Never throws on odd shapes. */
export function checkObjectMeta(def: KindDefinition, object: unknown): Issue[] {
  const meta = record(dig(object, 'metadata')) ?? {};
  const rule = nameRuleOf(def);
  const issues: Issue[] = [];
  const name = meta.name;
  const generateName = meta.generateName;
  if ((name === undefined || name === null) && !str(generateName))
    issues.push(
      error(
        'metadata.name',
        `required field "name" is missing; every ${def.kind} needs metadata.name (or metadata.generateName for a name the API server picks)`,
        'meta.name-required',
      ),
    );
  else issues.push(...checkName(def.kind, rule, 'metadata.name', name));
  issues.push(...checkGenerateName(rule, 'metadata.generateName', generateName));
  issues.push(...checkNamespace(def, 'metadata.namespace', meta.namespace));
  issues.push(...checkLabels(meta.labels, 'metadata.labels'));
  issues.push(...checkAnnotations(meta.annotations, 'metadata.annotations'));
  issues.push(...embeddedMetadata(def, object));
  return issues;
}
