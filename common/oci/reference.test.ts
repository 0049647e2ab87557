import {
  digestReference,
  formatImageReference,
  ImageReferenceError,
  isLoopbackRegistry,
  manifestReference,
  parseImageReference,
  registryBaseUrl,
} from './reference';

const D = `sha256:${'a'.repeat(64)}`;

describe('parseImageReference', () => {
  it.each([
    ['fedora', { registry: 'docker.io', repository: 'library/fedora' }],
    ['kubevirt/fedora-cloud:40', { registry: 'docker.io', repository: 'kubevirt/fedora-cloud', tag: '40' }],
    [
      'quay.io/containerdisks/fedora:40',
      { registry: 'quay.io', repository: 'containerdisks/fedora', tag: '40' },
    ],
    [
      '127.0.0.1:5000/virtkit/testguest:v1',
      { registry: '127.0.0.1:5000', repository: 'virtkit/testguest', tag: 'v1' },
    ],
    ['localhost/disk', { registry: 'localhost', repository: 'disk' }],
    [`reg.example:443/a/b/c@${D}`, { registry: 'reg.example:443', repository: 'a/b/c', digest: D }],
    [`quay.io/x/y:1.0@${D}`, { registry: 'quay.io', repository: 'x/y', tag: '1.0', digest: D }],
    ['[::1]:5000/x', { registry: '[::1]:5000', repository: 'x' }],
    ['index.docker.io/library/busybox', { registry: 'docker.io', repository: 'library/busybox' }],
  ])('%s', (input, want) => {
    expect(parseImageReference(input)).toEqual(want);
  });

  it.each([
    ['', /empty/],
    ['Quay.io/UPPER/case', /component "UPPER"/],
    ['quay.io/a/../b', /\.\./],
    ['quay.io//a', /\/\//],
    ['/abs/path', /leading/],
    ['quay.io/a:bad tag', /space/],
    ['quay.io/a@sha256:123', /digest/],
    ['quay.io/a:-x', /tag/],
    ['bad_host:99999/a', /registry/],
    ['a/b:c/d', /tag|component/],
  ])('refuses %j', (input, why) => {
    expect(() => parseImageReference(input)).toThrow(ImageReferenceError);
    expect(() => parseImageReference(input)).toThrow(why);
  });

  it('formats back, defaulting the tag to latest, and names digests', () => {
    const r = parseImageReference('quay.io/containerdisks/fedora');
    expect(formatImageReference(r)).toBe('quay.io/containerdisks/fedora:latest');
    expect(manifestReference(r)).toBe('latest');
    expect(manifestReference(parseImageReference(`quay.io/x@${D}`))).toBe(D);
    expect(formatImageReference(parseImageReference(`quay.io/x@${D}`))).toBe(`quay.io/x@${D}`);
    expect(digestReference(r, D)).toBe(`quay.io/containerdisks/fedora@${D}`);
  });

  it('speaks plain HTTP to loopback registries only', () => {
    expect(isLoopbackRegistry('127.0.0.1:5000')).toBe(true);
    expect(isLoopbackRegistry('localhost')).toBe(true);
    expect(isLoopbackRegistry('[::1]:5000')).toBe(true);
    expect(isLoopbackRegistry('127.example.com')).toBe(false);
    expect(registryBaseUrl('127.0.0.1:5000')).toBe('http://127.0.0.1:5000');
    expect(registryBaseUrl('quay.io')).toBe('https://quay.io');
    expect(registryBaseUrl('docker.io')).toBe('https://registry-1.docker.io');
    expect(registryBaseUrl('reg.lan:5000', true)).toBe('http://reg.lan:5000');
  });
});
