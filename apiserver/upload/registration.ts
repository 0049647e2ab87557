/**
 * How kube-apiserver reaches `virtkit api` for `upload.cdi.kubevirt.io/v1beta1` (pure): the
 * APIService `v1beta1.upload.cdi.kubevirt.io` (CDI's name) naming the same Service as the
 * subresource API, since the same server answers both. Built in api/install/api-services.ts.
 */
export { UPLOAD_APISERVICE_NAME, uploadApiService } from '../../api/install/api-services';
