/** The node API's upload endpoint: only the api's certificate reaches it; the body is streamed to the claim's upload socket and the answer passed back. */
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import * as os from 'os';
import * as path from 'path';
import { silentLogger } from '../../common/log';
import { nodeUploadPath } from '../../common/node-api';
import { TestPki } from '../../common/test-pki.test-helper';
import { startNodeApiServer, type RunningNodeApi } from './server';

const pki = new TestPki();
let server: RunningNodeApi;
let upstream: http.Server;
let dir: string;
const seen: string[] = [];

beforeAll(async () => {
  pki.ca('ca');
  pki.leaf('serving', 'virtkit-handler', 'ca', { sans: ['DNS:virtkit-handler', 'IP:127.0.0.1'] });
  pki.leaf('api', 'virtkit-api-node-client', 'ca');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vk-node-upl-'));
  const socket = path.join(dir, 'upload.sock');
  upstream = http.createServer((req, res) => {
    let n = 0;
    req.on('data', (c: Buffer) => (n += c.length));
    req.on('end', () => {
      seen.push(
        `${req.method} ${req.url} ${n} ${req.headers['x-cdi-content-type'] ?? ''} ${req.headers.authorization ?? ''}${req.headers['content-type'] ? ` [${req.headers['content-type']}]` : ''}`,
      );
      res.writeHead(400, { 'Content-Type': 'text/plain' }).end('Saving stream failed: nope');
    });
  });
  await new Promise<void>((r) => upstream.listen(socket, r));
  server = await startNodeApiServer({
    tls: {
      certFile: pki.file('serving', 'crt'),
      keyFile: pki.file('serving', 'key'),
      clientCaFile: pki.file('ca', 'crt'),
    },
    allowedClients: ['virtkit-api-node-client'],
    host: '127.0.0.1',
    port: 0,
    nodeName: 'node-1',
    locator: { locate: () => ({ kind: 'absent' }) },
    log: silentLogger(),
    uploadSocket: (ns, claim) => (ns === 'ns' && claim === 'disk' ? socket : undefined),
  });
});

afterAll(async () => {
  await server?.close();
  await new Promise((r) => upstream.close(r));
  fs.rmSync(dir, { recursive: true, force: true });
  pki.remove();
});

function post(
  p: string,
  body: Buffer,
  as?: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: server.port,
        method: 'POST',
        path: p,
        ca: pki.read('ca', 'crt'),
        servername: 'virtkit-handler',
        agent: false,
        ...(as ? { cert: pki.read(as, 'crt'), key: pki.read(as, 'key') } : {}),
        headers: {
          'Content-Length': String(body.length),
          'x-cdi-content-type': 'kubevirt',
          Authorization: 'Bearer secret',
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

it("streams the body to the claim's upload socket and passes its answer back; never the Authorization header", async () => {
  const r = await post(nodeUploadPath('ns', 'disk', 'upload-async'), Buffer.alloc(300_000, 1), 'api');
  expect(r).toEqual({ status: 400, text: 'Saving stream failed: nope' });
  expect(seen).toEqual(['POST /v1beta1/upload-async 300000 kubevirt ']);
});

it("passes a form upload's Content-Type, boundary and all, to the upload server", async () => {
  const type = 'multipart/form-data; boundary=----vk7MA4YWxk';
  const r = await post(nodeUploadPath('ns', 'disk', 'upload-form-async'), Buffer.alloc(1000, 2), 'api', {
    'Content-Type': type,
  });
  expect(r.status).toBe(400);
  expect(seen[seen.length - 1]).toBe(`POST /v1beta1/upload-form-async 1000 kubevirt  [${type}]`);
});

it('answers 503 when no upload server is ready for the claim, 401 without the api certificate', async () => {
  const none = await post(nodeUploadPath('ns', 'other', 'upload'), Buffer.from('x'), 'api');
  expect(none.status).toBe(503);
  expect(JSON.parse(none.text)).toMatchObject({
    message: expect.stringContaining('PersistentVolumeClaim ns/other'),
  });
  const n = seen.length;
  expect((await post(nodeUploadPath('ns', 'disk', 'upload'), Buffer.from('x'))).status).toBe(401);
  expect(seen.length).toBe(n);
});
