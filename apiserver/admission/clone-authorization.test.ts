import {
  authorizeClones,
  cloneAttributes,
  cloneChecks,
  vmServiceAccount,
  type AccessReview,
  type ResourceAttributes,
  type ReviewSubject,
} from './clone-authorization';
import type { AdmissionRequest } from './review';

const storage = { resources: { requests: { storage: '1Gi' } } };
const dvRequest = (
  spec: Record<string, unknown>,
  operation: 'CREATE' | 'UPDATE' = 'CREATE',
): AdmissionRequest => ({
  uid: 'u1',
  kind: { group: 'cdi.kubevirt.io', version: 'v1beta1', kind: 'DataVolume' },
  operation,
  namespace: 'team-a',
  name: 'disk',
  userInfo: {
    username: 'alice',
    uid: 'a-1',
    groups: ['devs', 'system:authenticated'],
    extra: { scopes: ['x'] },
  },
  object: { metadata: { name: 'disk', namespace: 'team-a' }, spec: { ...spec, storage } },
});

const vmRequest = (
  templates: unknown[],
  extraVolumes: unknown[] = [],
  operation: 'CREATE' | 'UPDATE' = 'CREATE',
  oldTemplates?: unknown[],
): AdmissionRequest => ({
  uid: 'u2',
  kind: { group: 'kubevirt.io', version: 'v1', kind: 'VirtualMachine' },
  operation,
  namespace: 'team-a',
  userInfo: { username: 'alice' },
  object: {
    metadata: { name: 'vm', namespace: 'team-a' },
    spec: { dataVolumeTemplates: templates, template: { spec: { volumes: extraVolumes } } },
  },
  ...(oldTemplates ? { oldObject: { spec: { dataVolumeTemplates: oldTemplates } } } : {}),
});

describe('cloneChecks', () => {
  it('asks for the creator of a DataVolume cloning a claim of another namespace, with all they are', () => {
    expect(cloneChecks(dvRequest({ source: { pvc: { namespace: 'golden', name: 'fedora' } } }))).toEqual([
      {
        field: 'spec.source.pvc.namespace',
        namespace: 'golden',
        name: 'fedora',
        subject: {
          user: 'alice',
          uid: 'a-1',
          groups: ['devs', 'system:authenticated'],
          extra: { scopes: ['x'] },
        },
        viaVirtualMachine: false,
      },
    ]);
  });

  it("asks about a sourceRef's DataSource namespace, existing or not", () => {
    expect(
      cloneChecks(dvRequest({ sourceRef: { kind: 'DataSource', namespace: 'os-images', name: 'fedora' } })),
    ).toMatchObject([{ field: 'spec.sourceRef.namespace', namespace: 'os-images', name: 'fedora' }]);
  });

  it('asks nothing for a clone within the namespace, an import, or an update (the spec is immutable)', () => {
    expect(cloneChecks(dvRequest({ source: { pvc: { name: 'fedora' } } }))).toEqual([]);
    expect(cloneChecks(dvRequest({ source: { pvc: { namespace: 'team-a', name: 'fedora' } } }))).toEqual([]);
    expect(cloneChecks(dvRequest({ sourceRef: { kind: 'DataSource', name: 'fedora' } }))).toEqual([]);
    expect(cloneChecks(dvRequest({ source: { http: { url: 'https://example.org/d.img' } } }))).toEqual([]);
    expect(
      cloneChecks(dvRequest({ source: { pvc: { namespace: 'golden', name: 'fedora' } } }, 'UPDATE')),
    ).toEqual([]);
  });

  it("asks for a VM's ServiceAccount (default, or its serviceAccount volume's) per cross-namespace template", () => {
    const templates = [
      { metadata: { name: 'a' }, spec: { source: { blank: {} } } },
      { metadata: { name: 'b' }, spec: { source: { pvc: { namespace: 'golden', name: 'rhel' } } } },
    ];
    expect(cloneChecks(vmRequest(templates))).toEqual([
      {
        field: 'spec.dataVolumeTemplates[1]',
        namespace: 'golden',
        name: 'rhel',
        subject: {
          user: 'system:serviceaccount:team-a:default',
          groups: ['system:serviceaccounts', 'system:serviceaccounts:team-a', 'system:authenticated'],
        },
        viaVirtualMachine: true,
      },
    ]);
    const withAccount = cloneChecks(
      vmRequest(templates, [{ name: 'sa', serviceAccount: { serviceAccountName: 'builder' } }]),
    );
    expect(withAccount[0].subject.user).toBe('system:serviceaccount:team-a:builder');
  });

  it('asks again on a VM update only when the templates changed', () => {
    const t = [{ spec: { source: { pvc: { namespace: 'golden', name: 'rhel' } } } }];
    expect(cloneChecks(vmRequest(t, [], 'UPDATE', t))).toEqual([]);
    expect(cloneChecks(vmRequest(t, [], 'UPDATE', []))).toHaveLength(1);
  });
});

describe('vmServiceAccount', () => {
  it('is default without a serviceAccount volume', () => {
    expect(
      vmServiceAccount({ spec: { template: { spec: { volumes: [{ name: 'x', emptyDisk: {} }] } } } }),
    ).toBe('default');
  });
});

describe('authorizeClones', () => {
  const request = dvRequest({ source: { pvc: { namespace: 'golden', name: 'fedora' } } });

  it("allows when either of CDI's two attributes is allowed, asking in CDI's order", async () => {
    const asked: ResourceAttributes[] = [];
    const podsOnly: AccessReview = (_s, a) => {
      asked.push(a);
      return Promise.resolve(a.resource === 'pods');
    };
    expect(await authorizeClones(request, podsOnly)).toEqual([]);
    expect(asked).toEqual(cloneAttributes('golden', 'fedora'));
    expect(asked[0]).toEqual({
      namespace: 'golden',
      verb: 'create',
      group: 'cdi.kubevirt.io',
      resource: 'datavolumes',
      subresource: 'source',
      name: 'fedora',
    });
  });

  it("refuses with CDI's words on the field, and KubeVirt's prefix for a VM", async () => {
    const subjects: ReviewSubject[] = [];
    const none: AccessReview = (s) => {
      subjects.push(s);
      return Promise.resolve(false);
    };
    const [cause] = await authorizeClones(request, none);
    expect(cause).toMatchObject({ type: 'FieldValueInvalid', field: 'spec.source.pvc.namespace' });
    expect(cause.message).toMatch(
      /^User alice has insufficient permissions in clone source namespace golden \(grant it create on datavolumes\/source/,
    );
    expect(subjects[0].user).toBe('alice');
    const [vmCause] = await authorizeClones(
      vmRequest([{ spec: { source: { pvc: { namespace: 'golden', name: 'rhel' } } } }]),
      none,
    );
    expect(vmCause.message).toMatch(
      /^Authorization failed, message is: User system:serviceaccount:team-a:default has insufficient permissions in clone source namespace golden/,
    );
  });

  it('lets a failing review fail the request', async () => {
    await expect(
      authorizeClones(request, () => Promise.reject(new Error('connection refused'))),
    ).rejects.toThrow('connection refused');
  });
});
