/**
 * The importer's typed error and its messages (pure). The first words are CDI's, as a
 * DataVolume's Running condition shows them ("Unable to connect to http data source: ...",
 * "Unable to process data: ..."), so tools and people that know CDI recognise them; what follows
 * names the URL or option at fault and the fix. `reason` lets the DataVolume controller tell the
 * cases apart without parsing words.
 */

export type ImportFailure =
  /** A bad option: URL scheme, target directory, size, checksum text, CA bundle. */
  | 'InvalidInput'
  /** The server could not be reached, TLS failed, or the transfer broke off. */
  | 'ConnectionFailed'
  /** The server answered, but not 200. */
  | 'HTTPStatus'
  /** The bytes downloaded do not have the expected checksum. */
  | 'ChecksumMismatch'
  /** Not a disk image qemu-img can read, a corrupt compression layer, or a forbidden image feature. */
  | 'InvalidImage'
  /** The image's virtual size does not fit the target. */
  | 'LargerPVCRequired'
  /** Writing, converting or renaming in the target directory failed. */
  | 'WriteFailed'
  /** The registry source: the image could not be pulled (registry, credentials, reference). */
  | 'RegistryPullFailed'
  /** The pvc source: the source claim's disk.img could not be read. */
  | 'SourceUnreadable';

export class ImportError extends Error {
  constructor(
    readonly reason: ImportFailure,
    message: string,
  ) {
    super(message);
    this.name = 'ImportError';
  }
}

const CONNECT = 'Unable to connect to http data source';
const PROCESS = 'Unable to process data';
const CONVERT = 'Unable to convert source data to target format';
const SCRATCH = 'Unable to transfer source data to scratch space';

/** The fix for a failed connection, from what failed: TLS trust or reaching the server. */
export function connectionHint(detail: string): string {
  return /certificate|CERT_|SSL|TLS|self[- ]signed/i.test(detail)
    ? "the server's certificate is not trusted: put the CA that signs it in the ConfigMap named by spec.source.http.certConfigMap"
    : "check that the URL's host and port are right and the server is up (spec.source.http.url)";
}

export function connectionError(url: string, detail: string): ImportError {
  return new ImportError(
    'ConnectionFailed',
    `${CONNECT}: HTTP request errored: GET "${url}": ${detail}; ${connectionHint(detail)}`,
  );
}

export function statusError(url: string, code: number, statusText: string): ImportError {
  const hint =
    code === 401 || code === 403
      ? 'the server refused the credentials: check spec.source.http.secretRef'
      : code === 404
        ? 'no file at that URL: check spec.source.http.url'
        : 'the server could not serve the file: check spec.source.http.url and the server';
  return new ImportError(
    'HTTPStatus',
    `${CONNECT}: expected status code 200, got ${code}. Status: ${code} ${statusText} (GET "${url}"; ${hint})`,
  );
}

export function checksumMismatch(
  url: string,
  algorithm: string,
  expected: string,
  actual: string,
): ImportError {
  return new ImportError(
    'ChecksumMismatch',
    `${PROCESS}: the ${algorithm} checksum of the data downloaded from "${url}" is ${actual}, expected ${expected}; the download was altered or the checksum names another file: check the checksum`,
  );
}

export function invalidImage(url: string, detail: string): ImportError {
  return new ImportError(
    'InvalidImage',
    `${PROCESS}: ${CONVERT}: the data from "${url}" is not a usable disk image: ${detail}; serve a raw, qcow2, vmdk, vdi, vhd or vhdx image (optionally .gz or .xz)`,
  );
}

/** CDI's words for an image that does not fit, plus the claim size that would. */
export function largerPvcRequired(
  virtualSize: number,
  available: number,
  neededRequest: number,
): ImportError {
  return new ImportError(
    'LargerPVCRequired',
    `${PROCESS}: ${CONVERT}: virtual image size ${virtualSize} is larger than the reported available storage ${available}. A larger PVC is required (request at least ${neededRequest} bytes)`,
  );
}

/** A download that has already outgrown the target while streaming in. */
export function downloadTooLarge(url: string, limit: number, available: number): ImportError {
  return new ImportError(
    'LargerPVCRequired',
    `${PROCESS}: the image from "${url}" is larger than ${limit} bytes once decompressed, more than the reported available storage ${available} can hold. A larger PVC is required`,
  );
}

/**
 * CDI's words for a registry pull that failed ("Unable to process data: Unable to transfer source
 * data to scratch space: Failed to read registry image: ..."), then what failed and the fix.
 */
export function registryPullFailed(image: string, detail: string, hint: string): ImportError {
  return new ImportError(
    'RegistryPullFailed',
    `${PROCESS}: ${SCRATCH}: Failed to read registry image: ${detail} (image "${image}"; ${hint})`,
  );
}

/** CDI's words for an image without its disk in /disk/. */
export function registryNoDisk(image: string, detail: string): ImportError {
  return new ImportError(
    'InvalidImage',
    `${PROCESS}: ${SCRATCH}: Failed to read registry image: Failed to find VM disk image file in the container image "${image}": ${detail}`,
  );
}

/** CDI's words for a clone whose target is smaller than its source, plus the claim that would hold it. */
export function cloneTargetTooSmall(
  sourceBytes: number,
  targetBytes: number,
  neededRequest: number,
  /** What the source is: its disk.img, or (Block) its device. */
  what = 'disk.img',
): ImportError {
  return new ImportError(
    'LargerPVCRequired',
    `${PROCESS}: target resources requests storage size is smaller than the source: the source ${what} is ${sourceBytes} bytes, the target holds ${targetBytes}; request at least ${neededRequest} bytes for the target claim`,
  );
}

export function writeFailed(what: string, detail: string): ImportError {
  return new ImportError('WriteFailed', `${PROCESS}: ${what}: ${detail}`);
}

export function sourceUnreadable(file: string, detail: string): ImportError {
  return new ImportError(
    'SourceUnreadable',
    `${PROCESS}: reading the source claim's ${file}: ${detail}; check that the source DataVolume finished and its claim holds disk.img`,
  );
}

export function invalidInput(field: string, detail: string): ImportError {
  return new ImportError('InvalidInput', `${field}: ${detail}`);
}
