import { handlerEndpoint, nodeVmiPath, parseHandlerEndpoint, parseNodeVmiPath } from './node-api';

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
});
