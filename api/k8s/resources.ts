/** Compute resources, in Kubernetes' shape: maps from resource name to quantity. */
import { Obj, Opt, Str, MapOf, Quantity, List, type Static } from '../schema/dsl';

export function ResourceList(description: string) {
  return MapOf(description, Quantity('Amount of the resource.'));
}

export const ResourceClaim = Obj('A dynamic resource claim used by the container.', {
  name: Str('Name of a claim in the pod spec resourceClaims.'),
  request: Opt(Str('Name of the request within the claim.')),
});

export const ResourceRequirements = Obj('Resources requested and limited for a workload.', {
  requests: Opt(ResourceList('Minimum resources required, for example memory: 1Gi.')),
  limits: Opt(ResourceList('Maximum resources allowed.')),
  claims: Opt(List('Dynamic resource claims.', ResourceClaim)),
});
export type ResourceRequirements = Static<typeof ResourceRequirements>;
