/**
 * The manifests an export serves for re-import (pure, KubeVirt's exportserver): `manifests/all`
 * is a List of the CA ConfigMap (`export-ca-cm-<export>`, key `ca.pem`), the VirtualMachine as
 * the controller stored it (no status, uid, resourceVersion or managed fields) with each
 * DataVolume template's http source pointing at this export's gzip URL, and a DataVolume per
 * claim no template makes, likewise pointing here; every http source names the CA ConfigMap and
 * the header Secret `header-secret-<export>`. `manifests/secret` is that Secret, holding
 * `x-kubevirt-export-token:<token>` under `token` (CDI sends it as a header). The host is the
 * internal one (the Service) or the external one (`virtkit api`), as the path asked. A snapshot
 * export serves its volumes under the claims it restored (`served-claims`): the URLs say so.
 */
import {
  caConfigMapName,
  dataVolumeManifestKey,
  headerSecretName,
  ManifestKeys,
  rawGzipUri,
  TOKEN_HEADER,
} from '../../api/export/exporter-pod';

type Json = Record<string, unknown>;

/** The ConfigMap keys the server reads (file names in its manifest directory). */
export type ManifestData = Readonly<Record<string, string>>;

export class ManifestError extends Error {}

function parseJson(data: ManifestData, key: string): Json {
  const text = data[key];
  if (text === undefined) throw new ManifestError(`the manifest data has no ${key}`);
  try {
    const v = JSON.parse(text) as unknown;
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
    return v as Json;
  } catch (err) {
    throw new ManifestError(`the manifest data's ${key} is not a JSON object: ${(err as Error).message}`);
  }
}

/** Point an http source at `url`, with the export's CA and header Secret. */
function httpSource(url: string, exportName: string): Json {
  return {
    http: {
      url,
      certConfigMap: caConfigMapName(exportName),
      secretExtraHeaders: [headerSecretName(exportName)],
    },
  };
}

/** The objects of `manifests/all` for `side` (pure); throws ManifestError when the data is incomplete. */
export function allManifests(data: ManifestData, side: 'internal' | 'external'): Json[] {
  const exportName = data[ManifestKeys.exportName];
  if (!exportName) throw new ManifestError(`the manifest data has no ${ManifestKeys.exportName}`);
  const host = data[side === 'internal' ? ManifestKeys.internalHost : ManifestKeys.externalHost];
  if (!host) throw new ManifestError(`this export has no ${side} link`);
  const base = `https://${host}`;
  const caKey = side === 'internal' ? ManifestKeys.internalCa : ManifestKeys.externalCa;
  const items: Json[] = [
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: caConfigMapName(exportName) },
      data: { 'ca.pem': data[caKey] ?? '' },
    },
  ];
  const served = data[ManifestKeys.servedClaims] ? parseJson(data, ManifestKeys.servedClaims) : {};
  const urlOf = (claim: string): string => {
    const as = served[claim];
    return `${base}${rawGzipUri(typeof as === 'string' ? as : claim)}`;
  };
  const vm = parseJson(data, ManifestKeys.vm);
  const spec = { ...((vm.spec as Json | undefined) ?? {}) };
  const templates = (spec.dataVolumeTemplates as Json[] | undefined) ?? [];
  spec.dataVolumeTemplates = templates.map((t) => {
    const name = String((t.metadata as Json | undefined)?.name ?? '');
    const tspec = { ...((t.spec as Json | undefined) ?? {}) };
    delete tspec.sourceRef;
    tspec.source = httpSource(urlOf(name), exportName);
    return { ...t, spec: tspec };
  });
  if (!templates.length) delete spec.dataVolumeTemplates;
  items.push({ ...vm, apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', spec });
  for (const key of Object.keys(data).sort()) {
    if (!key.startsWith('dv-')) continue;
    const dv = parseJson(data, key);
    const name = key.slice(dataVolumeManifestKey('').length);
    const dspec = { ...((dv.spec as Json | undefined) ?? {}) };
    dspec.source = httpSource(urlOf(name), exportName);
    items.push({ ...dv, apiVersion: 'cdi.kubevirt.io/v1beta1', kind: 'DataVolume', spec: dspec });
  }
  return items;
}

/** The header Secret of `manifests/secret` (pure). */
export function headerSecret(exportName: string, token: string): Json {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: headerSecretName(exportName) },
    stringData: { token: `${TOKEN_HEADER}:${token}` },
  };
}

/** A `v1` List of `items`, as KubeVirt's server answers JSON. */
export function asList(items: readonly Json[]): Json {
  return { apiVersion: 'v1', kind: 'List', metadata: {}, items };
}
