import { X509Certificate } from 'crypto';
import { TestPki } from '../../common/test-pki.test-helper';
import { authenticateNodeApiClient, type NodeApiClientPolicy } from './auth';

const pki = new TestPki();
let policy: NodeApiClientPolicy;
const cert = (stem: string): X509Certificate => new X509Certificate(pki.read(stem, 'crt'));

beforeAll(() => {
  pki.ca('node-ca').ca('other-ca');
  pki.leaf('api-client', 'virtkit-api-node-client', 'node-ca');
  pki.leaf('admin', 'virtkit-admin', 'node-ca');
  pki.leaf('impostor', 'virtkit-api-node-client', 'other-ca');
  pki.leaf('server', 'virtkit-api-node-client', 'node-ca', { sans: ['IP:127.0.0.1'] });
  policy = { clientCas: [cert('node-ca')], allowedNames: ['virtkit-api-node-client'] };
});

afterAll(() => pki.remove());

describe("the node API's client check", () => {
  it("accepts the api's client certificate of the configured CA", () => {
    expect(authenticateNodeApiClient({ policy, peerChain: [cert('api-client')] })).toEqual({
      ok: true,
      name: 'virtkit-api-node-client',
    });
  });

  it('refuses a caller without a certificate (401)', () => {
    expect(authenticateNodeApiClient({ policy, peerChain: [] })).toMatchObject({
      ok: false,
      status: 401,
      reason: expect.stringContaining('no client certificate'),
    });
  });

  it('refuses the allowed name from another CA (401)', () => {
    expect(authenticateNodeApiClient({ policy, peerChain: [cert('impostor')] })).toMatchObject({
      ok: false,
      status: 401,
      reason: "the client certificate is not signed by the node API's client CA",
    });
  });

  it('refuses another identity of the same CA, the cluster admin included (403)', () => {
    expect(authenticateNodeApiClient({ policy, peerChain: [cert('admin')] })).toMatchObject({
      ok: false,
      status: 403,
      reason: expect.stringContaining('common name "virtkit-admin" is not allowed'),
    });
  });

  it('refuses a certificate that is not for client authentication, or not valid now', () => {
    expect(authenticateNodeApiClient({ policy, peerChain: [cert('server')] })).toMatchObject({
      ok: false,
      status: 401,
      reason: 'the client certificate is not for client authentication',
    });
    expect(
      authenticateNodeApiClient({ policy, peerChain: [cert('api-client')], now: new Date('2001-01-01') }),
    ).toMatchObject({ ok: false, status: 401, reason: expect.stringContaining('not valid now') });
  });

  it('lets nobody in with an empty list of names', () => {
    expect(
      authenticateNodeApiClient({ policy: { ...policy, allowedNames: [] }, peerChain: [cert('api-client')] }),
    ).toMatchObject({ ok: false, status: 403 });
  });
});
