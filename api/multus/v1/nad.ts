/** k8s.cni.cncf.io/v1 NetworkAttachmentDefinition: a CNI configuration pods and VMs attach to by name. */
import { Obj, Opt, Str, type Static } from '../../schema/dsl';
import type { ObjectMeta } from '../../k8s/meta';

export const NetworkAttachmentDefinitionSpec = Obj('The network to attach to.', {
  config: Opt(
    Str(
      'CNI configuration as a JSON string: one plugin ({"cniVersion", "type", ...}) or a list ({"cniVersion", "plugins": [...]}).',
    ),
  ),
});
export type NetworkAttachmentDefinitionSpec = Static<typeof NetworkAttachmentDefinitionSpec>;

export interface NetworkAttachmentDefinition {
  apiVersion: 'k8s.cni.cncf.io/v1';
  kind: 'NetworkAttachmentDefinition';
  metadata?: ObjectMeta;
  spec?: NetworkAttachmentDefinitionSpec;
}
