import { parseHeader, parseSourceUrl, redirectProblem } from './source-url';

it('takes http and https URLs only, without credentials in them', () => {
  expect(parseSourceUrl('https://example.com/disk.qcow2').host).toBe('example.com');
  expect(() => parseSourceUrl('file:///etc/shadow')).toThrow(
    /spec.source.http.url: scheme "file" is not supported by the http source; give an http:\/\/ or https:\/\/ URL/,
  );
  expect(() => parseSourceUrl('ftp://example.com/x')).toThrow(/scheme "ftp"/);
  expect(() => parseSourceUrl('not a url')).toThrow(/is not a URL/);
  expect(() => parseSourceUrl('https://u:p@example.com/x')).toThrow(/secretRef/);
});

it('follows redirects to http(s) only', () => {
  const from = new URL('https://a.example/x');
  expect(redirectProblem(from, '/y').url?.href).toBe('https://a.example/y');
  expect(redirectProblem(from, 'http://b.example/z').url?.host).toBe('b.example');
  expect(redirectProblem(from, 'file:///etc/passwd').problem).toMatch(/file: URL/);
});

it('reads "Name: value" headers and refuses injection', () => {
  expect(parseHeader('X-Token: abc: def', 'h')).toEqual(['X-Token', 'abc: def']);
  expect(() => parseHeader('no colon', 'spec.source.http.extraHeaders[0]')).toThrow(/extraHeaders\[0\]/);
  expect(() => parseHeader('X: a\r\nHost: evil', 'h')).toThrow(/line break/);
  expect(() => parseHeader('Bad Name: v', 'h')).toThrow(/valid header name/);
});
