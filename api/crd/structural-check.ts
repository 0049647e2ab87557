/**
 * An offline check of the API server's structural-schema rules for CRDs, so a schema bug
 * is caught by unit tests before any cluster sees it. The real kube-apiserver check runs
 * in the integration suite; this one explains failures by path.
 */
type Node = Record<string, unknown>;

const FORBIDDEN_IN_JUNCTORS = [
  'description',
  'type',
  'default',
  'additionalProperties',
  'nullable',
  'x-kubernetes-preserve-unknown-fields',
];

export function structuralProblems(root: Node): string[] {
  const problems: string[] = [];
  const visit = (node: Node, path: string, needsType: boolean) => {
    const intOrString = node['x-kubernetes-int-or-string'] === true;
    const preserve = node['x-kubernetes-preserve-unknown-fields'] === true;
    if (needsType && !intOrString && !preserve && (typeof node.type !== 'string' || !node.type)) {
      problems.push(
        `${path}: no type (every field needs one, except int-or-string and preserve-unknown-fields nodes)`,
      );
    }
    if (node.additionalProperties === false)
      problems.push(`${path}: additionalProperties: false is not allowed in a CRD`);
    if (node.properties && node.additionalProperties)
      problems.push(`${path}: properties and additionalProperties are mutually exclusive`);
    if (node.type === 'object' && node.items) problems.push(`${path}: an object must not have items`);
    if (node.type === 'array' && !node.items) problems.push(`${path}: an array needs items`);
    if (intOrString) {
      const anyOf = node.anyOf as Node[] | undefined;
      const ok =
        !anyOf ||
        (anyOf.length === 2 &&
          anyOf[0].type === 'integer' &&
          anyOf[1].type === 'string' &&
          Object.keys(anyOf[0]).length === 1 &&
          Object.keys(anyOf[1]).length === 1);
      if (!ok) problems.push(`${path}: int-or-string allows only anyOf [{type: integer}, {type: string}]`);
      if (node.type) problems.push(`${path}: int-or-string must not set type`);
    }
    for (const junctor of intOrString ? [] : ['anyOf', 'allOf', 'oneOf']) {
      for (const branch of (node[junctor] as Node[] | undefined) ?? []) {
        for (const key of FORBIDDEN_IN_JUNCTORS)
          if (key in branch) problems.push(`${path}.${junctor}: ${key} is not allowed inside ${junctor}`);
      }
    }
    if (node['x-kubernetes-list-map-keys']) {
      const keys = node['x-kubernetes-list-map-keys'] as string[];
      if (node['x-kubernetes-list-type'] !== 'map')
        problems.push(`${path}: list-map-keys need x-kubernetes-list-type: map`);
      const items = (node.items ?? {}) as Node;
      if (items.type !== 'object') problems.push(`${path}: a list-type map needs object items`);
      const required = new Set((items.required as string[] | undefined) ?? []);
      const props = (items.properties ?? {}) as Record<string, Node>;
      for (const k of keys) {
        if (!props[k]) problems.push(`${path}: list-map key "${k}" is not a property of the items`);
        else if (!required.has(k) && props[k].default === undefined)
          problems.push(`${path}: list-map key "${k}" must be required or defaulted`);
      }
    }
    if (node['x-kubernetes-list-type'] === 'set') {
      const items = (node.items ?? {}) as Node;
      if (items.type === 'object' || items.type === 'array')
        problems.push(`${path}: a list-type set needs scalar items`);
    }
    for (const [name, child] of Object.entries((node.properties ?? {}) as Record<string, Node>))
      visit(child, `${path}.${name}`, true);
    if (node.additionalProperties && typeof node.additionalProperties === 'object')
      visit(node.additionalProperties as Node, `${path}[*]`, true);
    if (node.items) visit(node.items as Node, `${path}[]`, true);
  };
  visit(root, '', true);
  const metadata = ((root.properties ?? {}) as Record<string, Node>).metadata;
  if (metadata && Object.keys(metadata).some((k) => k !== 'type'))
    problems.push('.metadata: only type: object is allowed at the root');
  return problems;
}
