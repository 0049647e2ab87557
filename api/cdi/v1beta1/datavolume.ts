// PLACEHOLDER: replaced by the full DataVolume definition (owner: api-groups helper).
import { Obj, type Static } from '../../schema/dsl';

export const DataVolumeSpec = Obj('Specification of a DataVolume.', {});
export type DataVolumeSpec = Static<typeof DataVolumeSpec>;
