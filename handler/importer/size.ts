/**
 * The importer's sizes: CDI's arithmetic (api/cdi/size.ts, shared with the DataVolume
 * controller) and the size the imported disk.img gets. Pure.
 */
import { usableSpace } from '../../api/cdi/size';

export {
  ALIGN_BYTES,
  DEFAULT_FILESYSTEM_OVERHEAD,
  overheadProblem,
  requiredSpace,
  roundDown,
  roundUp,
  usableSpace,
} from '../../api/cdi/size';

/**
 * The size the imported disk.img gets: the usable share of the smaller of the request and what
 * the volume has free.
 */
export function targetImageSize(o: {
  requestedBytes: number;
  availableBytes: number;
  overhead: number;
}): number {
  return usableSpace(o.overhead, Math.min(o.requestedBytes, o.availableBytes));
}
