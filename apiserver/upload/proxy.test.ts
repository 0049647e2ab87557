/** The upload proxy's paths, and what it refuses before it reads the claim or streams a byte. */
import * as http from 'http';
import type { AddressInfo } from 'net';
import { silentLogger } from '../../common/log';
import type { KubeClient } from '../../kube/client';
import { handleUploadProxy, isUploadProxyPath } from './proxy';
import { signUploadToken } from './token';

const key = Buffer.alloc(32, 7);

describe("the upload proxy's paths", () => {
  it("are CDI's four ways to upload, under v1beta1 and v1alpha1", () => {
    for (const version of ['v1beta1', 'v1alpha1'])
      for (const kind of ['upload', 'upload-async', 'upload-form', 'upload-form-async'])
        expect([version, kind, isUploadProxyPath(`/${version}/${kind}`)]).toEqual([version, kind, true]);
    for (const other of ['/v1beta1/upload/', '/v1/upload', '/v1beta1/upload-form-sync', '/upload', '/'])
      expect([other, isUploadProxyPath(other)]).toEqual([other, false]);
  });
});

describe('a form upload', () => {
  let server: http.Server;
  let base: string;
  /** The claims read: none may be read for a request refused by its form alone. */
  const reads: string[] = [];
  const client = {
    getIfExists: async (_type: unknown, ns: string, name: string) => {
      reads.push(`${ns}/${name}`);
      return undefined;
    },
  } as unknown as KubeClient;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      void handleUploadProxy({ key, context: { client, log: silentLogger() }, readyWaitMs: 0 }, req, res);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));
  beforeEach(() => (reads.length = 0));

  async function post(p: string, headers: Record<string, string>): Promise<{ status: number; text: string }> {
    const r = await fetch(`${base}${p}`, { method: 'POST', headers, body: 'not a form' });
    return { status: r.status, text: await r.text() };
  }
  const token = (): string => `Bearer ${signUploadToken(key, { namespace: 'ns', name: 'disk' })}`;

  it('that is not multipart/form-data is refused 400 before the claim is read, pointing at the raw path', async () => {
    for (const p of ['/v1beta1/upload-form', '/v1beta1/upload-form-async', '/v1alpha1/upload-form']) {
      const r = await post(p, { Authorization: token(), 'Content-Type': 'application/octet-stream' });
      expect([p, r.status]).toEqual([p, 400]);
      expect(r.text).toMatch(
        /^a form upload takes a multipart\/form-data body, not Content-Type "application\/octet-stream"; send the image as the form field "file" \(curl -F file=@disk\.qcow2\), or POST the raw image bytes to \/v1beta1\/upload/,
      );
    }
    expect(reads).toEqual([]);
  });

  it('is refused for its token first, and goes on to the claim when it is a form', async () => {
    const bad = await post('/v1beta1/upload-form', { Authorization: 'Bearer x.y' });
    expect(bad.status).toBe(401);
    const form = await post('/v1beta1/upload-form', {
      Authorization: token(),
      'Content-Type': 'multipart/form-data; boundary=xyz',
    });
    expect(form).toEqual({
      status: 503,
      text: "rejecting Upload Request for PVC disk that doesn't exist",
    });
    // A raw upload is not asked to be a form.
    expect((await post('/v1beta1/upload', { Authorization: token() })).status).toBe(503);
    expect(reads).toEqual(['ns/disk', 'ns/disk']);
  });
});
