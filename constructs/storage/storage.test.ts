import { Testing } from 'cdk8s';
import { DataVolumeTemplate } from '../vm';
import { manifestOf, quietChart, report } from '../templates/test-kit';
import { DataSource, DataSourceSource, DataVolume, DataVolumeContentType } from '.';

describe('DataVolume', () => {
  test('renders the recipe, storage and extras', () => {
    const chart = quietChart();
    new DataVolume(chart, 'golden', {
      name: 'debian-12',
      namespace: 'images',
      source: DataVolumeTemplate.http('https://example.org/debian-12.qcow2', {
        size: '10Gi',
        storageClassName: 'fast',
      }),
      contentType: DataVolumeContentType.KUBEVIRT,
      preallocation: true,
    });
    const m = manifestOf(chart, 'DataVolume');
    expect(m.apiVersion).toBe('cdi.kubevirt.io/v1beta1');
    expect(m.spec).toEqual({
      source: { http: { url: 'https://example.org/debian-12.qcow2' } },
      storage: { storageClassName: 'fast', resources: { requests: { storage: '10Gi' } } },
      contentType: 'kubevirt',
      preallocation: true,
    });
    expect(Testing.synth(chart)).toMatchSnapshot();
  });

  test('takes its name from the recipe when it has one', () => {
    const chart = quietChart();
    new DataVolume(chart, 'scratch', {
      source: DataVolumeTemplate.blank({ size: '1Gi', name: 'scratch-1' }),
    });
    expect(manifestOf(chart, 'DataVolume').metadata).toEqual({ name: 'scratch-1' });
  });

  test('api/ rules reach the construct: an invalid size is reported with the field', () => {
    const chart = quietChart();
    new DataVolume(chart, 'bad', { source: DataVolumeTemplate.blank({ size: 'ten gigs' }) });
    expect(report(chart).errors.join('\n')).toMatch(
      /test\/bad: spec.storage.resources.requests.storage: invalid quantity "ten gigs"/,
    );
  });
});

describe('DataSource', () => {
  test('points at the PVC of a DataVolume construct', () => {
    const chart = quietChart();
    const dv = new DataVolume(chart, 'golden', {
      name: 'fedora-40',
      namespace: 'images',
      source: DataVolumeTemplate.registry('quay.io/containerdisks/fedora:40', { size: '8Gi' }),
    });
    new DataSource(chart, 'ds', {
      name: 'fedora',
      namespace: 'images',
      source: DataSourceSource.dataVolume(dv),
    });
    expect(manifestOf(chart, 'DataSource').spec).toEqual({
      source: { pvc: { namespace: 'images', name: 'fedora-40' } },
    });
    expect(report(chart).errors).toEqual([]);
    expect(Testing.synth(chart)).toMatchSnapshot();
  });

  test('snapshot and DataSource sources', () => {
    expect(DataSourceSource.snapshot('images', 'snap')._render()).toEqual({
      snapshot: { namespace: 'images', name: 'snap' },
    });
    expect(DataSourceSource.dataSource('os-images', 'fedora')._render()).toEqual({
      dataSource: { namespace: 'os-images', name: 'fedora' },
    });
  });
});
