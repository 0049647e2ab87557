import type { DataSource, DataVolume } from '../../api/cdi/v1beta1';
import { dataSourceStatus } from './datasource-status';

const now = new Date('2024-01-01T00:00:00Z');
const ds = (source: DataSource['spec']['source'], status?: DataSource['status']): DataSource => ({
  apiVersion: 'cdi.kubevirt.io/v1beta1',
  kind: 'DataSource',
  metadata: { name: 'fedora', namespace: 'images' },
  spec: { source },
  ...(status ? { status } : {}),
});
const dvIn = (phase: string) => ({ status: { phase } }) as DataVolume;
const ready = (s: ReturnType<typeof dataSourceStatus>) => s.conditions?.find((c) => c.type === 'Ready');

describe('dataSourceStatus', () => {
  const pvc = { pvc: { namespace: 'images', name: 'golden' } };
  test('Ready when the DataVolume of the claim succeeded, or the claim exists without one', () => {
    const s = dataSourceStatus(
      ds(pvc),
      { dataVolume: () => dvIn('Succeeded'), claimExists: () => false },
      now,
    );
    expect(s.source).toEqual(pvc);
    expect(ready(s)).toMatchObject({
      status: 'True',
      reason: 'Ready',
      message: 'DataSource is ready to be consumed',
    });
    expect(
      ready(dataSourceStatus(ds(pvc), { dataVolume: () => undefined, claimExists: () => true }, now))?.status,
    ).toBe('True');
  });
  test('not Ready while importing, when the claim is missing, or with no pvc source', () => {
    expect(
      ready(
        dataSourceStatus(
          ds(pvc),
          { dataVolume: () => dvIn('ImportInProgress'), claimExists: () => true },
          now,
        ),
      ),
    ).toMatchObject({
      status: 'False',
      reason: 'ImportInProgress',
      message: 'Import DataVolume phase ImportInProgress',
    });
    expect(
      ready(dataSourceStatus(ds(pvc), { dataVolume: () => undefined, claimExists: () => false }, now)),
    ).toMatchObject({
      status: 'False',
      reason: 'NotFound',
      message: 'PVC not found',
    });
    expect(
      ready(dataSourceStatus(ds({}), { dataVolume: () => undefined, claimExists: () => false }, now)),
    ).toMatchObject({
      reason: 'NoSource',
    });
  });
  test('a changed source starts the conditions over', () => {
    const old = {
      source: { pvc: { namespace: 'images', name: 'old' } },
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: 'x' }],
    };
    const s = dataSourceStatus(ds(pvc, old), { dataVolume: () => undefined, claimExists: () => false }, now);
    expect(s.conditions).toHaveLength(1);
    expect(ready(s)).toMatchObject({ status: 'False', lastTransitionTime: '2024-01-01T00:00:00Z' });
  });
});
