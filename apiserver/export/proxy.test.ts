import { nodeExportPath, parseNodeExportPath } from '../../common/node-export-api';
import { exportReadiness, parseExportProxyPath } from './proxy';

/** A path or URL from its segments (KubeVirt's layout, spelled out segment by segment). */
const seg = (...parts: string[]): string => parts.join('/');

describe('export proxy paths', () => {
  test("KubeVirt's external layout names the export and the server path", () => {
    expect(
      parseExportProxyPath(
        seg(
          '',
          'api',
          'export.kubevirt.io',
          'v1',
          'namespaces',
          'prod',
          'virtualmachineexports',
          'web',
          'volumes',
          'data',
          'disk.img',
        ),
      ),
    ).toEqual({ namespace: 'prod', name: 'web', rest: '/volumes/data/disk.img' });
    expect(nodeExportPath('prod', 'web', '/external/manifests/all')).toBe(
      '/v1/namespaces/prod/virtualmachineexports/web/external/manifests/all',
    );
    expect(parseNodeExportPath('/v1/namespaces/prod/virtualmachineexports/web/volumes/d/dir/a%20b')).toEqual({
      namespace: 'prod',
      name: 'web',
      rest: '/volumes/d/dir/a%20b',
    });
  });

  test.each([
    seg('', 'api', 'export.kubevirt.io', 'v1', 'namespaces', 'prod', 'virtualmachineexports', 'web'),
    seg('', 'api', 'export.kubevirt.io', 'v1', 'namespaces', 'prod', 'virtualmachineexports', 'web', ''),
    seg(
      '',
      'api',
      'export.kubevirt.io',
      'v1',
      'namespaces',
      'Prod',
      'virtualmachineexports',
      'web',
      'volumes',
      'x',
    ),
    seg('', 'api', 'export.kubevirt.io', 'v1', 'namespaces', 'prod', 'pods', 'web', 'volumes', 'x'),
    seg(
      '',
      'api',
      'export.kubevirt.io',
      'v1',
      'namespaces',
      'prod',
      'virtualmachineexports',
      'web',
      '..',
      '..',
      'persistentvolumeclaims',
      'c',
      'upload',
    ),
    seg(
      '',
      'api',
      'export.kubevirt.io',
      'v1',
      'namespaces',
      'prod',
      'virtualmachineexports',
      'web',
      'volumes',
      '%2e%2e',
      'x',
    ),
    seg(
      '',
      'api',
      'export.kubevirt.io',
      'v1',
      'namespaces',
      'prod',
      'virtualmachineexports',
      'web',
      'volumes',
      'a%2fb',
    ),
  ])('%s names no export', (p) => {
    expect(parseExportProxyPath(p)).toBeUndefined();
  });

  test('only a Ready export with its Ready pod on a node is reached', () => {
    const t = { namespace: 'prod', name: 'web', rest: '/volumes/d/disk.img' };
    const pod = {
      metadata: { ownerReferences: [{ kind: 'VirtualMachineExport', name: 'web', controller: true }] },
      spec: { nodeName: 'node-1' },
      status: { conditions: [{ type: 'Ready', status: 'True' }] },
    };
    expect(exportReadiness(t, { status: { phase: 'Ready' } }, pod)).toEqual({ nodeName: 'node-1' });
    expect(exportReadiness(t, undefined, undefined)).toEqual({
      status: 404,
      reason: 'VirtualMachineExport prod/web not found',
    });
    expect(exportReadiness(t, { status: { phase: 'Pending' } }, pod)).toMatchObject({ status: 503 });
    expect(exportReadiness(t, { status: { phase: 'Ready' } }, { ...pod, metadata: {} })).toMatchObject({
      status: 503,
    });
  });
});
