/**
 * A NetworkAttachmentDefinition carries its CNI configuration as a JSON string; the
 * schema only sees a string, so this rule parses it and checks what a CNI runtime needs.
 */
import { defineRule, type Rule } from '../../validation/rule';
import { error, warning, show, type Issue } from '../../validation/issue';
import { dig, list, record } from '../../validation/readers';

const PATH = 'spec.config';
const EXAMPLE = '{"cniVersion": "1.0.0", "type": "bridge", "bridge": "br1"}';

function pluginIssues(config: Record<string, unknown>, rule: string): Issue[] {
  const hasType = config.type !== undefined;
  const hasPlugins = config.plugins !== undefined;
  if (hasType && hasPlugins) {
    return [
      error(
        PATH,
        'the CNI config has both "type" and "plugins"; write a single plugin (type) or a plugin list (plugins), not both',
        rule,
      ),
    ];
  }
  if (!hasType && !hasPlugins) {
    return [
      error(
        PATH,
        `the CNI config names no plugin; add "type" (for example "bridge") or a "plugins" list, as in ${EXAMPLE}`,
        rule,
      ),
    ];
  }
  if (hasType) {
    return typeof config.type === 'string' && config.type
      ? []
      : [
          error(
            PATH,
            `"type" ${show(config.type)} must name a CNI plugin binary, for example "bridge" or "macvlan"`,
            rule,
          ),
        ];
  }
  if (!Array.isArray(config.plugins) || config.plugins.length === 0) {
    return [
      error(
        PATH,
        `"plugins" ${show(config.plugins)} must be a non-empty list of plugin objects, each with a "type"`,
        rule,
      ),
    ];
  }
  const issues: Issue[] = [];
  list(config.plugins).forEach((plugin, i) => {
    const type = record(plugin)?.type;
    if (typeof type !== 'string' || !type) {
      issues.push(
        error(
          PATH,
          `plugins[${i}] has no "type"; each plugin of the list names its CNI binary, for example {"type": "tuning"}`,
          rule,
        ),
      );
    }
  });
  return issues;
}

export const nadConfig = defineRule<unknown>({
  id: 'nad.config',
  summary: 'spec.config is a JSON CNI configuration with cniVersion and either type or plugins.',
  check(object) {
    const rule = 'nad.config';
    const raw = dig(object, 'spec', 'config');
    if (raw === undefined || raw === '') {
      return [
        warning(
          PATH,
          `spec.config is empty, so Multus looks for a CNI file named after the object on each node; write the configuration inline, for example ${EXAMPLE}`,
          rule,
        ),
      ];
    }
    if (typeof raw !== 'string') return [];
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch (e) {
      return [
        error(
          PATH,
          `spec.config is not valid JSON (${(e as Error).message}); write the CNI configuration as a JSON object such as ${EXAMPLE}`,
          rule,
        ),
      ];
    }
    const config = record(parsed);
    if (!config) return [error(PATH, `spec.config must be a JSON object, got ${show(parsed)}`, rule)];
    const issues: Issue[] = [];
    if (typeof config.cniVersion !== 'string' || !config.cniVersion) {
      issues.push(
        error(PATH, `the CNI config has no "cniVersion"; add one such as "cniVersion": "1.0.0"`, rule),
      );
    }
    issues.push(...pluginIssues(config, rule));
    return issues;
  },
});

export const nadRules: readonly Rule[] = [nadConfig];
