import { routeUploadApi, tokenRequestClaim, uploadApiResourceList } from './token-api';
import { uploadReadiness, uploadBodyLimit } from './proxy';

describe('upload.cdi.kubevirt.io routes', () => {
  it('discovery and create', () => {
    expect(routeUploadApi('GET', '/apis/upload.cdi.kubevirt.io')).toMatchObject({
      kind: 'answer',
      answer: { status: 200 },
    });
    expect(routeUploadApi('GET', '/apis/upload.cdi.kubevirt.io/v1beta1')).toMatchObject({
      answer: { body: uploadApiResourceList() },
    });
    expect(
      routeUploadApi('POST', '/apis/upload.cdi.kubevirt.io/v1beta1/namespaces/ns/uploadtokenrequests'),
    ).toEqual({
      kind: 'create',
      namespace: 'ns',
    });
  });
  it("CDI's resource: uploadtokenrequests, create only, short names utr", () => {
    expect(uploadApiResourceList()).toMatchObject({
      groupVersion: 'upload.cdi.kubevirt.io/v1beta1',
      resources: [
        {
          name: 'uploadtokenrequests',
          kind: 'UploadTokenRequest',
          verbs: ['create'],
          shortNames: ['utr', 'utrs'],
        },
      ],
    });
  });
  it('refuses other methods, versions and paths', () => {
    expect(
      routeUploadApi('GET', '/apis/upload.cdi.kubevirt.io/v1beta1/namespaces/ns/uploadtokenrequests'),
    ).toMatchObject({
      answer: { status: 405 },
      allow: 'POST',
    });
    expect(routeUploadApi('GET', '/apis/upload.cdi.kubevirt.io/v1alpha1')).toMatchObject({
      answer: { status: 404 },
    });
    expect(routeUploadApi('POST', '/apis/upload.cdi.kubevirt.io/v1beta1/namespaces/ns/other')).toMatchObject({
      answer: { status: 404 },
    });
    expect(
      routeUploadApi('POST', '/apis/upload.cdi.kubevirt.io/v1beta1/namespaces/Bad_NS/uploadtokenrequests'),
    ).toMatchObject({
      answer: { status: 400 },
    });
  });
});

describe('UploadTokenRequest bodies', () => {
  const ok = {
    apiVersion: 'upload.cdi.kubevirt.io/v1beta1',
    kind: 'UploadTokenRequest',
    spec: { pvcName: 'disk' },
  };
  it('name the claim', () => expect(tokenRequestClaim(ok, 'ns')).toEqual({ name: 'disk' }));
  it('refuse what is not one', () => {
    for (const bad of [
      undefined,
      [],
      { ...ok, kind: 'Pod' },
      { ...ok, spec: {} },
      { ...ok, spec: { pvcName: '../x' } },
      { ...ok, metadata: { namespace: 'other' } },
    ])
      expect(tokenRequestClaim(bad, 'ns')).toMatchObject({ answer: { status: 400 } });
  });
});

describe('upload proxy readiness', () => {
  const claim = (ann: Record<string, string>) => ({
    metadata: { name: 'disk', annotations: ann },
    spec: { resources: { requests: { storage: '64Mi' } } },
  });
  const ready = {
    spec: { nodeName: 'n1' },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
  };
  const target = { 'cdi.kubevirt.io/storage.upload.target': '' };
  it("goes to the upload pod's node with a limit from the claim", () => {
    expect(uploadReadiness('disk', claim(target), ready)).toEqual({
      nodeName: 'n1',
      limit: uploadBodyLimit(64 * 2 ** 20),
    });
  });
  it("refuses with CDI's words", () => {
    expect(uploadReadiness('disk', undefined, undefined)).toEqual({
      reason: "rejecting Upload Request for PVC disk that doesn't exist",
      wait: false,
    });
    expect(uploadReadiness('disk', claim({}), ready)).toEqual({
      reason: 'PVC disk is not an upload target',
      wait: false,
    });
    expect(
      uploadReadiness('disk', claim({ ...target, 'cdi.kubevirt.io/storage.pod.phase': 'Succeeded' }), ready),
    ).toEqual({
      reason: 'rejecting Upload Request for PVC disk that already finished uploading',
      wait: false,
    });
    expect(uploadReadiness('disk', claim(target), { status: { phase: 'Pending' } })).toMatchObject({
      reason: /upload pod cdi-upload-disk is phase Pending, not Ready/,
      wait: true,
    });
  });
});
