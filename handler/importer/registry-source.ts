/**
 * CDI's registry source (IMPORTER_ENDPOINT `docker://HOST/REPO:TAG` or `@sha256:...`): the image
 * is pulled with the node's own puller (handler/images: manifest and index resolution, every blob
 * checked against its digest, the handler's registry mirrors and plain-HTTP registries), into a
 * pull scratch directory inside the target, and its one disk file under /disk/ (KubeVirt's
 * container-disk layout) goes through the same inspect, convert and size steps as a download.
 */
import type { Credentials } from '../../common/oci/client';
import { ImagePuller, type ImagePullerOptions } from '../images/puller';
import type { RegistryMirror } from '../images/policy';
import {
  convertIntoTarget,
  openTarget,
  placeDisk,
  removeQuietly,
  withTarget,
  type TargetOptions,
} from './disk-target';
import { registryNoDisk, registryPullFailed } from './errors';
import { registryImageOf } from './source-url';
import type { ImageFormat } from './formats';

export interface RegistryImportOptions extends TargetOptions {
  /** spec.source.registry.url: `docker://HOST/REPO:TAG` (or `@sha256:DIGEST`). */
  readonly endpoint: string;
  /** The secretRef's accessKeyId and secretKey. */
  readonly credentials?: Credentials;
  /** The handler's --registry-mirror settings. */
  readonly mirrors?: readonly RegistryMirror[];
  /** Registries (host[:port]) spoken to over plain HTTP. */
  readonly insecureRegistries?: readonly string[];
  readonly onProgress?: (progress: string) => void;
  readonly convertTimeoutMs?: number;
}

export interface RegistryImportResult {
  readonly path: string;
  readonly size: number;
  readonly sourceFormat: ImageFormat;
  readonly sourceVirtualSize: number;
  /** The manifest digest pulled. */
  readonly digest: string;
}

/** The fix for a failed pull, from what the registry said. */
function pullHint(message: string): string {
  if (/\b401\b|UNAUTHORIZED|DENIED|\b403\b|user name and password/.test(message))
    return 'the registry refused the credentials: check the Secret named by spec.source.registry.secretRef';
  if (/MANIFEST_UNKNOWN|NAME_UNKNOWN|\b404\b/.test(message))
    return 'no such image or tag: check spec.source.registry.url';
  return 'check that the registry in spec.source.registry.url is up and reachable from the node';
}

export async function importRegistry(o: RegistryImportOptions): Promise<RegistryImportResult> {
  const image = registryImageOf(o.endpoint);
  const t = openTarget(o);
  return withTarget(t, async () => {
    o.onProgress?.('0.00%');
    // The disk file of an image that fits is at most the target (raw) or a little more (an
    // image format's metadata): the same bound as the http source's.
    const maxDiskBytes = Math.floor(t.size * 1.1) + 64 * 1024 * 1024;
    const options: ImagePullerOptions = {
      cacheDir: t.pullScratch,
      mirrors: o.mirrors ?? [],
      insecureRegistries: o.insecureRegistries ?? [],
      maxDiskBytes,
    };
    const puller = new ImagePuller(options);
    let pulled;
    try {
      pulled = await puller.pull({
        image,
        policy: 'Always',
        ...(o.credentials ? { credentials: o.credentials } : {}),
      });
    } catch (e) {
      const message = (e as Error).message;
      if (/ in \/disk\//.test(message))
        throw registryNoDisk(image, message.replace(/^Failed to pull image "[^"]*": /, ''));
      throw registryPullFailed(
        image,
        message.replace(/^Failed to pull image "[^"]*": /, ''),
        pullHint(message),
      );
    }
    const converted = await convertIntoTarget(t, pulled.path, `docker://${image}`, {
      ...(o.convertTimeoutMs !== undefined ? { convertTimeoutMs: o.convertTimeoutMs } : {}),
    });
    placeDisk(t);
    removeQuietly(t.pullScratch);
    o.onProgress?.('100.00%');
    return {
      path: t.disk,
      size: t.size,
      sourceFormat: converted.sourceFormat,
      sourceVirtualSize: converted.sourceVirtualSize,
      digest: pulled.digest,
    };
  });
}
