/**
 * Kubernetes label selectors as the replica set and pool controllers use them: parsed once
 * (with every problem named), matched against labels, and printed in the canonical string form
 * the `scale` subresource publishes in status.labelSelector (what `kubectl get --selector` and a
 * HorizontalPodAutoscaler read): requirements sorted by key, `k=v`, `k in (a,b)`, `k notin (a,b)`,
 * `k`, `!k`, joined by commas. Pure.
 */
import type { LabelSelector } from '../../api/k8s/meta';

type Operator = 'Equals' | 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

interface Requirement {
  readonly key: string;
  readonly operator: Operator;
  readonly values: readonly string[];
}

export interface ParsedSelector {
  readonly requirements: readonly Requirement[];
  /** Canonical string form (empty for a selector that selects everything). */
  readonly text: string;
}

export type SelectorResult =
  | { readonly ok: true; readonly selector: ParsedSelector }
  | { readonly ok: false; readonly problems: readonly string[] };

const OPERATORS = new Set(['In', 'NotIn', 'Exists', 'DoesNotExist']);

/** Parse `selector` (found at `field`); every problem names the field, the value and the fix. */
export function parseSelector(selector: LabelSelector | undefined, field: string): SelectorResult {
  if (!selector)
    return {
      ok: false,
      problems: [`${field} is missing; set ${field}.matchLabels to labels of the template`],
    };
  const problems: string[] = [];
  const reqs: Requirement[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {}))
    reqs.push({ key, operator: 'Equals', values: [String(value)] });
  (selector.matchExpressions ?? []).forEach((e, i) => {
    const at = `${field}.matchExpressions[${i}]`;
    const values = (e.values ?? []).map(String);
    if (!OPERATORS.has(e.operator)) {
      problems.push(
        `${at}.operator is ${JSON.stringify(e.operator)}; use one of In, NotIn, Exists, DoesNotExist`,
      );
      return;
    }
    const op = e.operator as Operator;
    if ((op === 'In' || op === 'NotIn') && values.length === 0)
      problems.push(`${at}.values is empty; operator ${op} needs at least one value`);
    else if ((op === 'Exists' || op === 'DoesNotExist') && values.length > 0)
      problems.push(`${at}.values is ${JSON.stringify(values)}; operator ${op} takes no values, remove them`);
    else reqs.push({ key: e.key, operator: op, values: [...values].sort() });
  });
  if (problems.length) return { ok: false, problems };
  // A stable sort by key, as apimachinery's selector keeps its requirements.
  const sorted = reqs
    .map((r, i) => ({ r, i }))
    .sort((a, b) => (a.r.key < b.r.key ? -1 : a.r.key > b.r.key ? 1 : a.i - b.i))
    .map(({ r }) => r);
  return { ok: true, selector: { requirements: sorted, text: sorted.map(requirementText).join(',') } };
}

function requirementText(r: Requirement): string {
  switch (r.operator) {
    case 'Equals':
      return `${r.key}=${r.values[0]}`;
    case 'In':
      return `${r.key} in (${r.values.join(',')})`;
    case 'NotIn':
      return `${r.key} notin (${r.values.join(',')})`;
    case 'Exists':
      return r.key;
    case 'DoesNotExist':
      return `!${r.key}`;
  }
}

/** Whether `labels` satisfy every requirement (an empty selector matches everything). */
export function selectorMatches(
  selector: ParsedSelector,
  labels: Readonly<Record<string, string>> | undefined,
): boolean {
  const l = labels ?? {};
  return selector.requirements.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    switch (r.operator) {
      case 'Equals':
      case 'In':
        return has && r.values.includes(l[r.key]);
      case 'NotIn':
        return !has || !r.values.includes(l[r.key]);
      case 'Exists':
        return has;
      case 'DoesNotExist':
        return !has;
    }
  });
}
