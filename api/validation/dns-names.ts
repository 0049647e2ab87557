/**
 * Kubernetes' name syntaxes (facts of apimachinery's validation): DNS-1123 labels and
 * subdomains, qualified names (label and annotation keys) and label values. Each check
 * returns what is wrong in plain words, or an empty list when the value is fine; callers
 * add the field, the value and the fix.
 */

import {
  DNS_1123_LABEL_MAX_LENGTH,
  DNS_1123_LABEL_PATTERN,
  DNS_1123_SUBDOMAIN_MAX_LENGTH,
  DNS_1123_SUBDOMAIN_PATTERN,
} from '../schema/patterns';

export const DNS1123_LABEL_MAX = DNS_1123_LABEL_MAX_LENGTH;
export const DNS1123_SUBDOMAIN_MAX = DNS_1123_SUBDOMAIN_MAX_LENGTH;
export const QUALIFIED_NAME_MAX = 63;
export const LABEL_VALUE_MAX = 63;

const LABEL_RE = new RegExp(DNS_1123_LABEL_PATTERN);
const SUBDOMAIN_RE = new RegExp(DNS_1123_SUBDOMAIN_PATTERN);
const QUALIFIED_RE = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

function tooLong(value: string, max: number): string[] {
  return value.length > max ? [`must be no more than ${max} characters (it has ${value.length})`] : [];
}

/** A lowercase RFC 1123 label: namespaces, and the names of kinds whose name becomes a hostname. */
export function dns1123LabelProblems(value: string, max = DNS1123_LABEL_MAX): string[] {
  const problems = tooLong(value, max);
  if (!LABEL_RE.test(value))
    problems.push(
      "must be a lowercase RFC 1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit (for example 'my-name' or '123-abc')",
    );
  return problems;
}

/** A lowercase RFC 1123 subdomain: the name of most kinds. */
export function dns1123SubdomainProblems(value: string, max = DNS1123_SUBDOMAIN_MAX): string[] {
  const problems = tooLong(value, max);
  if (!SUBDOMAIN_RE.test(value))
    problems.push(
      "must be a lowercase RFC 1123 subdomain: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit (for example 'example.com')",
    );
  return problems;
}

/** A label or annotation key: `[prefix/]name`, the prefix a DNS subdomain, the name at most 63 characters. */
export function qualifiedNameProblems(value: string): string[] {
  const parts = value.split('/');
  let name = value;
  const problems: string[] = [];
  if (parts.length > 2)
    return [
      "must be a name with an optional DNS subdomain prefix and one '/', for example 'example.com/my-key'",
    ];
  if (parts.length === 2) {
    const [prefix] = parts;
    name = parts[1];
    if (!prefix) problems.push("the prefix before '/' must not be empty");
    else problems.push(...dns1123SubdomainProblems(prefix).map((p) => `its prefix ${p}`));
  }
  if (!name) return [...problems, 'the name part must not be empty'];
  problems.push(...tooLong(name, QUALIFIED_NAME_MAX).map((p) => `the name part ${p}`));
  if (!QUALIFIED_RE.test(name))
    problems.push(
      "the name part must consist of letters, digits, '-', '_' or '.', and start and end with a letter or digit (for example 'MyName', 'my.name' or '123-abc')",
    );
  return problems;
}

/** A label value: empty, or at most 63 characters of letters, digits, '-', '_' and '.'. */
export function labelValueProblems(value: string): string[] {
  if (value === '') return [];
  const problems = tooLong(value, LABEL_VALUE_MAX);
  if (!QUALIFIED_RE.test(value))
    problems.push(
      "must be empty or consist of letters, digits, '-', '_' or '.', and start and end with a letter or digit (for example 'MyValue', 'my_value' or '12345')",
    );
  return problems;
}
