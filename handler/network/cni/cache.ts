/**
 * The result cache (I/O), libcni's idea kept under the handler's state directory: one JSON
 * file per attachment, `<cacheDir>/results/<network>-<containerId>-<ifName>.json`, holding the
 * pod, its namespace, the exact configuration list ADD ran with, the capability arguments and
 * (once ADD succeeded) the result. It is written before ADD runs (so a handler that dies half-way
 * still knows what to DEL) and again with the result; DEL and CHECK read it, so they run with
 * the configuration ADD used even after the handler restarted with another one. Files are
 * written atomically (temporary file, fsync, rename) with mode 0600.
 */
import * as fs from 'fs';
import * as path from 'path';
import { networkConfigListFrom } from './conflist';
import { CniCacheError } from './errors';
import { writePrivateFile } from './private-file';
import { isJsonObject, type JsonObject, type NetworkConfigList, type PodIdentity } from './types';

export const CACHE_KIND = 'virtkitCniCacheV1';
const MAX_RECORD_BYTES = 4 << 20;
/** A temporary file older than this is a leftover of a crash, not a write in progress. */
const STALE_TMP_MS = 60_000;

export interface CacheRecord {
  readonly kind: typeof CACHE_KIND;
  readonly networkName: string;
  readonly containerId: string;
  readonly ifName: string;
  /** The `ip netns` name of the pod's namespace. */
  readonly netns: string;
  readonly pod: PodIdentity;
  /** The configuration list document ADD ran with. */
  readonly config: JsonObject;
  /** Where that configuration came from (a file), for messages. */
  readonly configSource: string;
  readonly capabilityArgs: Readonly<Record<string, unknown>>;
  /**
   * What the attachment is called in the pod's network-status: the cluster network's name for
   * the default one, `<namespace>/<name>` of a NetworkAttachmentDefinition. @default networkName
   */
  readonly attachment?: string;
  /** Its place in the pod's ADD order: 0 is the default network (eth0), secondary ones follow. @default 0 */
  readonly index?: number;
  /**
   * The plugin folders ADD ran with: DEL searches them too, so a release from another process
   * (`virtkit down`) or a handler restarted with other folders still finds every plugin ADD ran
   * (e.g. whereabouts in virtkit's build cache). Absent in records of older handlers.
   */
  readonly pluginDirs?: readonly string[];
  /** The list's final ADD result; absent while ADD has not completed. */
  readonly result?: JsonObject;
}

/** `<cacheDir>/results`. */
export function resultsDir(cacheDir: string): string {
  return path.join(cacheDir, 'results');
}

/** The record file of one attachment (its parts are validated names: no slash can appear). Pure. */
export function cacheFile(
  cacheDir: string,
  networkName: string,
  containerId: string,
  ifName: string,
): string {
  return path.join(resultsDir(cacheDir), `${networkName}-${containerId}-${ifName}.json`);
}

/** Writes `record` to its file atomically, mode 0600; returns the file. */
export function writeCacheRecord(cacheDir: string, record: CacheRecord): string {
  const file = cacheFile(cacheDir, record.networkName, record.containerId, record.ifName);
  try {
    writePrivateFile(file, JSON.stringify(record, null, 2) + '\n');
  } catch (e) {
    throw new CniCacheError(file, `could not be written: ${(e as Error).message}`);
  }
  return file;
}

/** Checks a parsed record's shape (pure); throws CniCacheError naming what is wrong. */
export function recordFrom(doc: unknown, file: string): CacheRecord {
  const bad = (what: string) => new CniCacheError(file, `${what}; remove the file if its pod is gone`);
  if (!isJsonObject(doc) || doc.kind !== CACHE_KIND) throw bad(`is not a ${CACHE_KIND} record`);
  for (const k of ['networkName', 'containerId', 'ifName', 'netns', 'configSource'] as const)
    if (typeof doc[k] !== 'string' || doc[k] === '') throw bad(`has no ${k}`);
  const pod = doc.pod;
  if (
    !isJsonObject(pod) ||
    typeof pod.uid !== 'string' ||
    typeof pod.name !== 'string' ||
    typeof pod.namespace !== 'string'
  )
    throw bad('has no pod');
  if (!isJsonObject(doc.config)) throw bad('has no config');
  if (doc.capabilityArgs !== undefined && !isJsonObject(doc.capabilityArgs))
    throw bad('has capabilityArgs that are not an object');
  if (doc.result !== undefined && !isJsonObject(doc.result)) throw bad('has a result that is not an object');
  if (doc.attachment !== undefined && (typeof doc.attachment !== 'string' || doc.attachment === ''))
    throw bad('has an attachment that is not a name');
  if (doc.index !== undefined && !(Number.isInteger(doc.index) && (doc.index as number) >= 0))
    throw bad('has an index that is not a non-negative integer');
  if (
    doc.pluginDirs !== undefined &&
    !(
      Array.isArray(doc.pluginDirs) &&
      doc.pluginDirs.every((d) => typeof d === 'string' && path.isAbsolute(d) && !d.includes('\0'))
    )
  )
    throw bad('has pluginDirs that are not absolute folders');
  return {
    ...(doc as unknown as CacheRecord),
    capabilityArgs: (doc.capabilityArgs as Record<string, unknown>) ?? {},
  };
}

/** The record in `file`, or undefined when there is none. */
export function readCacheRecord(file: string): CacheRecord | undefined {
  let text: string;
  try {
    const st = fs.lstatSync(file);
    if (!st.isFile()) throw new CniCacheError(file, 'is not a regular file');
    if (st.size > MAX_RECORD_BYTES) throw new CniCacheError(file, `is larger than ${MAX_RECORD_BYTES} bytes`);
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if (e instanceof CniCacheError) throw e;
    throw new CniCacheError(file, `could not be read: ${(e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new CniCacheError(
      file,
      `is not JSON (${(e as Error).message}); remove the file if its pod is gone`,
    );
  }
  return recordFrom(doc, file);
}

/** The configuration list a record holds, validated again (it may have been edited by hand). */
export function recordConfig(record: CacheRecord, file: string): NetworkConfigList {
  return networkConfigListFrom(record.config, `${record.configSource} (as cached in ${file})`);
}

export interface CacheListing {
  readonly records: readonly { readonly file: string; readonly record: CacheRecord }[];
  /** Files that could not be read as records, with why. */
  readonly broken: readonly { readonly file: string; readonly error: Error }[];
}

/** Every record under `cacheDir` (stale temporary files of a crash are removed on the way). */
export function listCacheRecords(cacheDir: string): CacheListing {
  const dir = resultsDir(cacheDir);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], broken: [] };
    throw new CniCacheError(dir, `could not be listed: ${(e as Error).message}`);
  }
  const records: { file: string; record: CacheRecord }[] = [];
  const broken: { file: string; error: Error }[] = [];
  for (const name of names.sort()) {
    const file = path.join(dir, name);
    if (name.startsWith('.') && name.endsWith('.tmp')) {
      // Another set-up may be writing this one right now; only a stale one is a crash's leftover.
      const st = fs.statSync(file, { throwIfNoEntry: false });
      if (st && Date.now() - st.mtimeMs > STALE_TMP_MS) fs.rmSync(file, { force: true });
      continue;
    }
    if (!name.endsWith('.json')) continue;
    try {
      const record = readCacheRecord(file);
      if (record) records.push({ file, record });
    } catch (e) {
      broken.push({ file, error: e as Error });
    }
  }
  return { records, broken };
}

/** Removes a record file; a missing one is fine. */
export function removeCacheRecord(file: string): void {
  fs.rmSync(file, { force: true });
}
