import { parseWwwAuthenticate, RegistryClient, sha256Digest } from './client';

describe('registry challenges', () => {
  it('reads Bearer and Basic challenges, quoted and bare', () => {
    expect(
      parseWwwAuthenticate(
        'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull"',
      ),
    ).toEqual({
      scheme: 'bearer',
      params: {
        realm: 'https://auth.example/token',
        service: 'registry.example',
        scope: 'repository:a/b:pull',
      },
    });
    expect(parseWwwAuthenticate('Basic realm="x \\"y\\""')).toEqual({
      scheme: 'basic',
      params: { realm: 'x "y"' },
    });
    expect(parseWwwAuthenticate('Bearer realm=https://a/t, service=s')).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://a/t', service: 's' },
    });
    expect(parseWwwAuthenticate('')).toEqual({ scheme: '', params: {} });
  });

  it('talks to http(s)://host[:port] only', () => {
    expect(new RegistryClient({ registry: '127.0.0.1:5000' }).endpoint).toBe('http://127.0.0.1:5000');
    expect(new RegistryClient({ registry: 'quay.io' }).endpoint).toBe('https://quay.io');
    expect(new RegistryClient({ registry: 'docker.io', endpoint: 'http://127.0.0.1:5001/' }).endpoint).toBe(
      'http://127.0.0.1:5001',
    );
    expect(() => new RegistryClient({ registry: 'x', endpoint: 'file:///etc' })).toThrow(/not http\(s\)/);
    expect(() => new RegistryClient({ registry: 'x', endpoint: 'http://a/path' })).toThrow(/not http\(s\)/);
  });

  it('names digests as sha256:<hex>', () => {
    expect(sha256Digest('')).toBe('sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});
