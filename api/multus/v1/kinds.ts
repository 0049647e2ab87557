/** Kind definition of k8s.cni.cncf.io/v1 NetworkAttachmentDefinition, as Multus publishes it. */
import { defineKind } from '../../kind';
import { NetworkAttachmentDefinitionSpec } from './nad';
import { nadRules } from './rules';

export const NetworkAttachmentDefinitionKind = defineKind({
  group: 'k8s.cni.cncf.io',
  version: 'v1',
  kind: 'NetworkAttachmentDefinition',
  plural: 'network-attachment-definitions',
  singular: 'network-attachment-definition',
  shortNames: ['net-attach-def'],
  scope: 'Namespaced',
  description: 'A secondary network: the CNI configuration that pods and VMs attach to by name.',
  fields: { spec: NetworkAttachmentDefinitionSpec },
  rules: nadRules,
});
