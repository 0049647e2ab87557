/**
 * How kube-apiserver reaches `virtkit api` for `upload.cdi.kubevirt.io/v1beta1` (pure): the
 * APIService `v1beta1.upload.cdi.kubevirt.io` (CDI's name) naming the same Service as the
 * subresource API (../subresources/registration.ts), since the same server answers both.
 */
import { UPLOAD_GROUP, UPLOAD_VERSION } from '../../api/cdi/upload-api';
import { apiServiceObject, type ServiceRef } from '../subresources/registration';

export const UPLOAD_APISERVICE_NAME = `${UPLOAD_VERSION}.${UPLOAD_GROUP}`;

export function uploadApiService(o: ServiceRef & { readonly caBundlePem: string }): Record<string, unknown> {
  return apiServiceObject({ ...o, group: UPLOAD_GROUP, version: UPLOAD_VERSION });
}
