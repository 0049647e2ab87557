import {
  formUploadProblem,
  handlerEndpoint,
  nodeUploadPath,
  nodeVmiPath,
  parseHandlerEndpoint,
  parseNodeUploadPath,
  parseNodeVmiPath,
} from './node-api';

describe("the node API's contract", () => {
  it('builds and reads VMI paths, every segment escaped', () => {
    expect(nodeVmiPath('ns', 'web', 'pause')).toBe('/v1/namespaces/ns/virtualmachineinstances/web/pause');
    expect(nodeVmiPath('ns', 'web', 'portforward', '22', 'tcp')).toBe(
      '/v1/namespaces/ns/virtualmachineinstances/web/portforward/22/tcp',
    );
    expect(parseNodeVmiPath(nodeVmiPath('n s', 'a/b', 'pause'))).toEqual({
      namespace: 'n s',
      name: 'a/b',
      action: 'pause',
      rest: [],
    });
    expect(parseNodeVmiPath('/v1/namespaces/ns/virtualmachineinstances/web/portforward/22')).toMatchObject({
      action: 'portforward',
      rest: ['22'],
    });
    for (const bad of [
      '/v1/namespaces/ns/virtualmachineinstances/web',
      '/v1/namespaces/ns/virtualmachines/web/pause',
      nodeVmiPath('ns', 'web', 'pause').replace('/v1/', '/v2/'),
      '/v1/namespaces//virtualmachineinstances/web/pause',
      '/v1/namespaces/ns/virtualmachineinstances/web/pause/',
      '/v1/namespaces/ns/virtualmachineinstances/%E0%A4%A/pause',
      nodeVmiPath('ns', 'web', 'pause').slice(1),
    ])
      expect([bad, parseNodeVmiPath(bad)]).toEqual([bad, undefined]);
  });

  it('reads a published endpoint: https, a host and a port, nothing more', () => {
    expect(parseHandlerEndpoint('https://127.0.0.1:8186').href).toBe('https://127.0.0.1:8186/');
    expect(parseHandlerEndpoint('https://[::1]:8186').hostname).toBe('[::1]');
    expect(() => parseHandlerEndpoint('http://127.0.0.1:8186')).toThrow('is not an https URL');
    expect(() => parseHandlerEndpoint('https://127.0.0.1')).toThrow('names no host and port');
    expect(() => parseHandlerEndpoint('https://u:p@127.0.0.1:1')).toThrow('nothing more');
    expect(() => parseHandlerEndpoint('https://127.0.0.1:1/x')).toThrow('nothing more');
    expect(() => parseHandlerEndpoint('nonsense')).toThrow('is not a URL');
    expect(handlerEndpoint('127.0.0.1', 8186)).toBe('https://127.0.0.1:8186');
    expect(handlerEndpoint('fd00::1', 8186)).toBe('https://[fd00::1]:8186');
  });

  it("builds and reads upload paths: CDI's four ways to upload", () => {
    for (const kind of ['upload', 'upload-async', 'upload-form', 'upload-form-async'] as const) {
      const p = nodeUploadPath('ns', 'disk.a', kind);
      expect(p).toBe(`/v1/namespaces/ns/persistentvolumeclaims/disk.a/${kind}`);
      expect(parseNodeUploadPath(p)).toEqual({ namespace: 'ns', claim: 'disk.a', kind });
    }
    for (const bad of [
      '/v1/namespaces/ns/persistentvolumeclaims/disk/upload-form-sync',
      '/v1/namespaces/ns/persistentvolumeclaims/disk/upload-form/',
      '/v1/namespaces/ns/persistentvolumeclaims/Disk/upload-form',
      '/v1/namespaces/ns/pods/disk/upload-form',
    ])
      expect([bad, parseNodeUploadPath(bad)]).toEqual([bad, undefined]);
  });

  it('takes a form upload only as multipart/form-data with a boundary, and says how to send one', () => {
    for (const ok of [
      'multipart/form-data; boundary=------------------------abc',
      'Multipart/Form-Data;boundary="a b"',
      'multipart/form-data; charset=utf-8; boundary=x',
    ])
      expect([ok, formUploadProblem(ok)]).toEqual([ok, undefined]);
    expect(formUploadProblem('application/octet-stream')).toBe(
      'a form upload takes a multipart/form-data body, not Content-Type "application/octet-stream"; send the image as the form field "file" (curl -F file=@disk.qcow2), or POST the raw image bytes to /v1beta1/upload (or /v1beta1/upload-async) instead',
    );
    expect(formUploadProblem(undefined)).toMatch(
      /^a form upload takes a multipart\/form-data body, not a body without a Content-Type; /,
    );
    expect(formUploadProblem('application/x-www-form-urlencoded')).toMatch(/not Content-Type/);
    expect(formUploadProblem('multipart/mixed; boundary=x')).toMatch(/not Content-Type/);
    expect(formUploadProblem('multipart/form-data')).toMatch(
      /names no boundary; send the image as the form field "file"/,
    );
    expect(formUploadProblem('multipart/form-data; boundary=')).toMatch(/names no boundary/);
  });
});
