/**
 * CDI's admission checks for DataVolume and DataSource, in virtkit's words: a DataVolume
 * needs one place to get data from and one description of the storage to fill.
 */
import { defineRule, type Rule } from '../../validation/rule';
import { error, warning, show, type Issue } from '../../validation/issue';
import { dig, record, text } from '../../validation/readers';
import { DATA_VOLUME_SOURCE_KINDS } from './datavolume';

function setMembers(value: unknown): string[] {
  const r = record(value);
  return r ? Object.keys(r).filter((k) => r[k] !== undefined && r[k] !== null) : [];
}

export const dataVolumeSource = defineRule<unknown>({
  id: 'cdi.datavolume-source',
  summary: 'A DataVolume has exactly one source member, or a sourceRef, or a populator dataSourceRef.',
  check(object) {
    const rule = 'cdi.datavolume-source';
    const spec = record(dig(object, 'spec'));
    if (!spec) return [];
    const issues: Issue[] = [];
    const hasSource = spec.source !== undefined && spec.source !== null;
    const hasRef = spec.sourceRef !== undefined && spec.sourceRef !== null;
    if (hasSource && hasRef) {
      issues.push(
        error(
          'spec.sourceRef',
          'spec.source and spec.sourceRef are both set; keep only one: a direct source, or a reference to a DataSource',
          rule,
        ),
      );
    }
    if (!hasSource && !hasRef) {
      const populated = dig(spec, 'pvc', 'dataSourceRef') ?? dig(spec, 'storage', 'dataSourceRef');
      if (!populated) {
        issues.push(
          error(
            'spec.source',
            `the DataVolume has no data source; set spec.source to one of ${DATA_VOLUME_SOURCE_KINDS.join(', ')} (blank: {} for an empty disk), or spec.sourceRef to a DataSource`,
            rule,
          ),
        );
      }
    }
    if (hasSource) {
      const members = setMembers(spec.source);
      if (members.length === 0) {
        issues.push(
          error(
            'spec.source',
            `spec.source is empty; set exactly one of ${DATA_VOLUME_SOURCE_KINDS.join(', ')}`,
            rule,
          ),
        );
      } else if (members.length > 1) {
        issues.push(
          error(
            'spec.source',
            `spec.source sets ${members.join(' and ')}; a DataVolume takes exactly one source, keep one of them`,
            rule,
          ),
        );
      }
    }
    if (hasRef) {
      const kind = dig(spec, 'sourceRef', 'kind');
      if (kind !== undefined && kind !== 'DataSource') {
        issues.push(
          error(
            'spec.sourceRef.kind',
            `sourceRef kind ${show(kind)} is not supported; set spec.sourceRef.kind to "DataSource"`,
            rule,
          ),
        );
      }
    }
    return issues;
  },
});

export const dataVolumeStorage = defineRule<unknown>({
  id: 'cdi.datavolume-storage',
  summary: 'A DataVolume has exactly one of spec.pvc and spec.storage; a pvc states its size.',
  check(object) {
    const rule = 'cdi.datavolume-storage';
    const spec = record(dig(object, 'spec'));
    if (!spec) return [];
    const pvc = spec.pvc;
    const storage = spec.storage;
    if (pvc !== undefined && storage !== undefined) {
      return [
        error(
          'spec.storage',
          'spec.pvc and spec.storage are both set; keep one: storage lets CDI complete access and volume modes, pvc is used as written',
          rule,
        ),
      ];
    }
    if (pvc === undefined && storage === undefined) {
      return [
        error(
          'spec.storage',
          'the DataVolume says nothing about its volume; set spec.storage (for example resources.requests.storage: 10Gi) or spec.pvc',
          rule,
        ),
      ];
    }
    if (pvc !== undefined && record(pvc) && dig(pvc, 'resources', 'requests', 'storage') === undefined) {
      return [
        error(
          'spec.pvc.resources.requests.storage',
          'spec.pvc has no size; set spec.pvc.resources.requests.storage, for example 10Gi (or use spec.storage, which can take the size from a cloned source)',
          rule,
        ),
      ];
    }
    return [];
  },
});

export const dataVolumeSourceDetails = defineRule<unknown>({
  id: 'cdi.datavolume-source-details',
  summary: 'Import URLs use a scheme the importer understands.',
  check(object) {
    const rule = 'cdi.datavolume-source-details';
    const issues: Issue[] = [];
    for (const kind of ['http', 's3', 'gcs', 'imageio'] as const) {
      const url = dig(object, 'spec', 'source', kind, 'url');
      if (typeof url !== 'string') continue;
      const schemes = kind === 'gcs' ? ['gs', 'http', 'https'] : ['http', 'https'];
      const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
      if (!scheme || !schemes.includes(scheme)) {
        issues.push(
          error(
            `spec.source.${kind}.url`,
            `URL ${show(url)} is not a ${schemes.join(' or ')} URL; write it with its scheme, for example ${schemes[schemes.length - 1]}://example.com/disk.qcow2`,
            rule,
          ),
        );
      }
    }
    const registry = record(dig(object, 'spec', 'source', 'registry'));
    if (registry) {
      const url = text(registry.url);
      const stream = text(registry.imageStream);
      if (!url && !stream) {
        issues.push(
          error(
            'spec.source.registry.url',
            'the registry source names no image; set spec.source.registry.url, for example docker://quay.io/containerdisks/fedora:40',
            rule,
          ),
        );
      } else if (url && stream) {
        issues.push(
          error(
            'spec.source.registry.imageStream',
            'spec.source.registry sets both url and imageStream; keep one',
            rule,
          ),
        );
      } else if (url && !/^(docker|oci-archive):\/\//.test(url)) {
        issues.push(
          error(
            'spec.source.registry.url',
            `registry URL ${show(url)} has no supported scheme; start it with docker:// or oci-archive://`,
            rule,
          ),
        );
      }
    }
    return issues;
  },
});

export const dataSourceSource = defineRule<unknown>({
  id: 'cdi.datasource-source',
  summary: 'A DataSource points at one PVC, one snapshot or one other DataSource.',
  check(object) {
    const rule = 'cdi.datasource-source';
    const source = dig(object, 'spec', 'source');
    if (!record(source)) return [];
    const members = setMembers(source);
    if (members.length > 1) {
      return [
        error(
          'spec.source',
          `spec.source sets ${members.join(' and ')}; a DataSource points at exactly one of pvc, snapshot or dataSource`,
          rule,
        ),
      ];
    }
    if (members.length === 0) {
      return [
        warning(
          'spec.source',
          'spec.source is empty, so the DataSource never becomes Ready; set pvc, snapshot or dataSource unless a DataImportCron manages it',
          rule,
        ),
      ];
    }
    return [];
  },
});

export const dataVolumeRules: readonly Rule[] = [
  dataVolumeSource,
  dataVolumeStorage,
  dataVolumeSourceDetails,
];
export const dataSourceRules: readonly Rule[] = [dataSourceSource];
