/**
 * App-level check: a VM's Multus network names a NetworkAttachmentDefinition that this
 * app defines, but in another namespace than the one the reference resolves to. Multus
 * looks the name up in the VM's namespace unless it is written `namespace/name`, so the
 * VM would fail to start (or pick up a different NAD of the same name).
 */
import type { IConstruct } from 'constructs';
import { AppIssueSeverity, type AppIssue, type IAppCheck } from '../core/app-validation';
import { isNetworkAttachment, type INetworkAttachment } from './network';
import type { VmiTemplateOwner } from './vmi-owner';

interface NadRef {
  readonly namespace: string | undefined;
  readonly name: string;
}

function parse(ref: string, defaultNamespace: string | undefined): NadRef {
  const slash = ref.indexOf('/');
  return slash >= 0
    ? { namespace: ref.slice(0, slash), name: ref.slice(slash + 1) }
    : { namespace: defaultNamespace, name: ref };
}

function nadOf(a: INetworkAttachment): NadRef {
  return parse(a.multusNetworkName, a.namespace);
}

const show = (ns: string | undefined) => (ns === undefined ? '(no namespace)' : `"${ns}"`);

export const multusNamespaceCheck: IAppCheck = {
  id: 'virtkit.vm.multus-namespace',
  check(root: IConstruct): AppIssue[] {
    const all = root.node.findAll();
    const nads = all
      .filter((c): c is IConstruct & INetworkAttachment => isNetworkAttachment(c))
      .map((a) => ({ attachment: a, ref: nadOf(a) }));
    if (!nads.length) return [];
    const issues: AppIssue[] = [];
    const owners = all.filter(
      (c): c is VmiTemplateOwner =>
        typeof (c as { multusReferences?: unknown }).multusReferences === 'object' &&
        typeof (c as { vmiSpecPath?: unknown }).vmiSpecPath === 'string',
    );
    for (const owner of owners) {
      for (const ref of owner.multusReferences) {
        const wanted = parse(ref.multusNetworkName, owner.namespace);
        const sameName = nads.filter((n) => n.ref.name === wanted.name);
        if (!sameName.length || sameName.some((n) => n.ref.namespace === wanted.namespace)) continue;
        const found = sameName[0];
        const i = owner.networkIndex(ref.networkName);
        issues.push({
          construct: owner,
          path: `${owner.vmiSpecPath}.networks[${i}].multus.networkName`,
          message:
            `"${ref.multusNetworkName}" resolves to NetworkAttachmentDefinition "${wanted.name}" in namespace ${show(wanted.namespace)}, ` +
            `but this app defines it in namespace ${show(found.ref.namespace)} (${found.attachment.node.path}); ` +
            `write "${found.ref.namespace ?? ''}/${wanted.name}" or use attachNetwork() with the network construct`,
          severity: AppIssueSeverity.ERROR,
        });
      }
    }
    return issues;
  },
};
