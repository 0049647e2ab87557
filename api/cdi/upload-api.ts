/**
 * CDI's upload API, the names every side shares (pure): the aggregated API that hands out upload
 * tokens (`upload.cdi.kubevirt.io/v1beta1` UploadTokenRequest, served by `virtkit api`), and the
 * upload proxy's paths (CDI's cdi-uploadproxy; `virtkit api` serves them on its own port). The
 * same paths are spoken between the node handler and the upload server's socket.
 */

export const UPLOAD_GROUP = 'upload.cdi.kubevirt.io';
export const UPLOAD_VERSION = 'v1beta1';
export const UPLOAD_API_VERSION = `${UPLOAD_GROUP}/${UPLOAD_VERSION}`;
export const UPLOAD_TOKEN_REQUEST_KIND = 'UploadTokenRequest';
export const UPLOAD_TOKEN_REQUESTS = 'uploadtokenrequests';
/** CDI's short names of the resource. */
export const UPLOAD_TOKEN_SHORT_NAMES = ['utr', 'utrs'] as const;

/** CDI's lifetime of an upload token. */
export const UPLOAD_TOKEN_LIFETIME_SECONDS = 5 * 60;
/** CDI's upload proxy accepts a token this much past its expiry (clock skew). */
export const UPLOAD_TOKEN_LEEWAY_SECONDS = 10;

/** How the body of an upload is carried. */
export type UploadMode = 'sync' | 'async' | 'form' | 'form-async';

/** CDI's upload paths (v1beta1, and the v1alpha1 paths older clients use) and what each means. */
export const UPLOAD_PATHS: Readonly<Record<string, UploadMode>> = {
  '/v1beta1/upload': 'sync',
  '/v1beta1/upload-async': 'async',
  '/v1beta1/upload-form': 'form',
  '/v1beta1/upload-form-async': 'form-async',
  '/v1alpha1/upload': 'sync',
  '/v1alpha1/upload-async': 'async',
  '/v1alpha1/upload-form': 'form',
  '/v1alpha1/upload-form-async': 'form-async',
};

/** The path a mode is sent on to the node and the upload server (the v1beta1 one). */
export function uploadPathOf(mode: UploadMode): string {
  return mode === 'sync' ? '/v1beta1/upload' : `/v1beta1/upload-${mode}`;
}

/** CDI's header an uploader may set to name the content type (`kubevirt` or `archive`). */
export const UPLOAD_CONTENT_TYPE_HEADER = 'x-cdi-content-type';
