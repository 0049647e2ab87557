// PLACEHOLDER: replaced by the full DomainSpec (owner: api-domain helper).
import { Obj, type Static } from '../../schema/dsl';

export const DomainSpec = Obj('Specification of the virtual hardware of the VMI.', {});
export type DomainSpec = Static<typeof DomainSpec>;
