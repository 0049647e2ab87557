/**
 * What a VirtualMachineClone's filters and patches may be (KubeVirt's admission rules for
 * clones), shared by admission and the clone controller, which refuses a clone stored without
 * admission. Each problem is the sentence after the field's path: it names the value and the fix.
 * Pure.
 */

/** Where the clone's restore lets patches write: the new VM's spec, labels and annotations. */
export const CLONE_PATCH_PREFIXES: readonly string[] = [
  '/spec/',
  '/metadata/labels/',
  '/metadata/annotations/',
];

/** The four filter lists of a clone spec, with their field paths. */
export function cloneFilterLists(spec: {
  readonly labelFilters?: readonly string[];
  readonly annotationFilters?: readonly string[];
  readonly template?: {
    readonly labelFilters?: readonly string[];
    readonly annotationFilters?: readonly string[];
  };
}): [string, readonly string[] | undefined][] {
  return [
    ['spec.labelFilters', spec.labelFilters],
    ['spec.annotationFilters', spec.annotationFilters],
    ['spec.template.labelFilters', spec.template?.labelFilters],
    ['spec.template.annotationFilters', spec.template?.annotationFilters],
  ];
}

/** What is wrong with one filter (`*` only at its end, `!` only at its start), or undefined. */
export function cloneFilterProblem(f: string): string | undefined {
  if (f === '') return 'an empty filter matches no key; remove it, or write "*" to keep every key';
  if (f === '!')
    return '"!" alone is not a filter; write the keys to leave out after it, such as "!example.com/*"';
  const body = f.startsWith('!') ? f.slice(1) : f;
  const problems: string[] = [];
  if (body.includes('!'))
    problems.push(
      `filter ${JSON.stringify(f)} has a "!" after its start; a negation "!" may only begin a filter, as in "!example.com/secret"`,
    );
  if (body.slice(0, -1).includes('*'))
    problems.push(
      `filter ${JSON.stringify(f)} has a "*" before its end; a wildcard "*" may only end a filter, as in "example.com/*"`,
    );
  return problems.length ? problems.join('; ') : undefined;
}

/** What is wrong with the path of one patch operation, or undefined. */
export function clonePatchPathProblem(path: unknown): string | undefined {
  if (typeof path !== 'string' || CLONE_PATCH_PREFIXES.some((prefix) => path.startsWith(prefix)))
    return undefined;
  return `path ${JSON.stringify(path)} is outside what the clone's restore may patch; patch the new VM under /spec/..., /metadata/labels/... or /metadata/annotations/...`;
}
