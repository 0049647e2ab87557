/**
 * `virtkit api --rotate-certificates`'s rotator against a real API server: it makes the CA and
 * serving Secrets when they are missing, writes the CA into a webhook configuration and an
 * APIService, renews the serving certificate alone when it is due and the CA (keeping the old one
 * in the bundle) when that is due, lets a second replica adopt what the first made, and survives
 * two replicas renewing at once. The clock is the rotator's `now`, moved forward; a TLS client
 * trusting the published caBundle accepts every serving certificate handed to the server.
 *
 * The node API's own certificates (the handlers' serving certificate and the api's client
 * certificate under a CA of their own) are made and renewed the same way, and a real node API
 * server with them lets the api's client certificate through and nothing else.
 *
 * The webhook configuration and the APIService are the suite's own (never the shared control
 * plane's): a webhook that matches nothing and an APIService of a group nobody serves.
 */
import { randomBytes, X509Certificate } from 'crypto';
import * as https from 'https';
import type { AddressInfo } from 'net';
import pino from 'pino';
import { CertificateRotator } from '../../apiserver/certificates/rotator';
import { CertificateWriteConflictError } from '../../apiserver/certificates/tls-secrets';
import { splitPem, type KeyPair } from '../../apiserver/certificates/issue';
import { APISERVICES, SECRETS, VALIDATING_WEBHOOK_CONFIGURATIONS, type KubeClient } from '../../kube';
import { createNamespace, deleteNamespace, sharedClient } from './support/api';
import { NodePkiRotator } from '../../apiserver/certificates/node-pki';
import { startNodeApiServer } from '../../handler/api/server';
import { TlsSecretSource, type TlsCredentials } from '../../common/tls-secret-source';
import { NODE_API_CLIENT_NAME, NODE_API_SERVER_NAME, nodeVmiPath } from '../../common/node-api';

const id = randomBytes(3).toString('hex');
const NS = `api-certs-${id}`;
const WEBHOOKS = `it-certs-${id}`;
const GROUP = `it-certs-${id}.virtkit.io`;
const APISERVICE = `v1.${GROUP}`;
const NAMES = [`virtkit-api.${NS}.svc`, `virtkit-api.${NS}.svc.cluster.local`];
const H = 3_600_000;

let admin: KubeClient;
let clock = Date.now();
const handed: KeyPair[] = [];

function rotator(onCertificate: (p: KeyPair) => void = (p) => handed.push(p)): CertificateRotator {
  return new CertificateRotator({
    client: admin,
    namespace: NS,
    secretName: 'virtkit-api-certs',
    caSecretName: 'virtkit-api-ca',
    dnsNames: NAMES,
    webhookConfiguration: WEBHOOKS,
    apiServices: [APISERVICE],
    log: pino({ level: 'silent' }),
    onCertificate,
    now: () => new Date(clock),
  });
}

interface Secret {
  data: Record<string, string>;
}
const text = (s: Secret, key: string): string => Buffer.from(s.data[key]!, 'base64').toString('utf8');
const secret = (name: string): Promise<Secret> => admin.get<Secret>(SECRETS, NS, name);

async function publishedBundles(): Promise<string[]> {
  const config = await admin.get<{ webhooks: { clientConfig: { caBundle?: string } }[] }>(
    VALIDATING_WEBHOOK_CONFIGURATIONS,
    undefined,
    WEBHOOKS,
  );
  const svc = await admin.get<{ spec: { caBundle?: string } }>(APISERVICES, undefined, APISERVICE);
  return [...config.webhooks.map((w) => w.clientConfig.caBundle ?? ''), svc.spec.caBundle ?? ''].map((b) =>
    Buffer.from(b, 'base64').toString('utf8'),
  );
}

/**
 * Whether one CA of `bundle` issued and signed `cert` (what a TLS client checks besides the
 * time; the later tests move the rotator's clock, not the machine's).
 */
function chainsTo(cert: string, bundle: string): boolean {
  const c = new X509Certificate(cert);
  return splitPem(bundle).some((pem) => {
    const ca = new X509Certificate(pem);
    return c.checkIssued(ca) && c.verify(ca.publicKey);
  });
}

/** What a TLS client trusting `bundle` says of a server presenting `pair` as NAMES[0]. */
async function handshake(pair: KeyPair, bundle: string): Promise<string> {
  const server = https.createServer({ cert: pair.cert, key: pair.key }, (_q, r) => r.end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    return await new Promise((resolve) => {
      https
        .get(
          {
            host: '127.0.0.1',
            port: (server.address() as AddressInfo).port,
            ca: bundle,
            servername: NAMES[0],
          },
          (res) => (res.resume(), resolve(`HTTP ${res.statusCode}`)),
        )
        .on('error', (e) => resolve(e.message));
    });
  } finally {
    server.close();
  }
}

const webhook = (name: string) => ({
  name,
  clientConfig: { service: { namespace: NS, name: 'virtkit-api', path: '/validate', port: 443 } },
  rules: [{ apiGroups: [GROUP], apiVersions: ['v1'], operations: ['CREATE'], resources: ['nothing'] }],
  failurePolicy: 'Ignore',
  sideEffects: 'None',
  admissionReviewVersions: ['v1'],
});

beforeAll(async () => {
  admin = await sharedClient();
  await createNamespace(admin, NS);
  await admin.create(VALIDATING_WEBHOOK_CONFIGURATIONS, undefined, {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name: WEBHOOKS },
    webhooks: [webhook(`a.${GROUP}`), webhook(`b.${GROUP}`)],
  });
  await admin.create(APISERVICES, undefined, {
    apiVersion: 'apiregistration.k8s.io/v1',
    kind: 'APIService',
    metadata: { name: APISERVICE },
    spec: {
      group: GROUP,
      version: 'v1',
      service: { namespace: NS, name: 'virtkit-api', port: 443 },
      groupPriorityMinimum: 1000,
      versionPriority: 15,
    },
  });
});

afterAll(async () => {
  await admin.delete(APISERVICES, undefined, APISERVICE).catch(() => undefined);
  await admin.delete(VALIDATING_WEBHOOK_CONFIGURATIONS, undefined, WEBHOOKS).catch(() => undefined);
  await deleteNamespace(admin, NS).catch(() => undefined);
});

test('the first pass makes the CA and the serving certificate and publishes the CA where the API server reads it', async () => {
  const plan = await rotator().reconcile();
  expect(plan).toMatchObject({ renewCa: true, renewServer: true, reason: 'there is no CA yet' });
  const caSecret = await secret('virtkit-api-ca');
  const serving = await secret('virtkit-api-certs');
  expect(Object.keys(serving.data).sort()).toEqual(['ca.crt', 'tls.crt', 'tls.key']);
  // The serving Secret cannot sign anything: the CA's key is only in the CA Secret.
  expect(text(serving, 'ca.crt')).toBe(text(caSecret, 'tls.crt'));
  expect(Object.values(serving.data).map((v) => Buffer.from(v, 'base64').toString())).not.toContain(
    text(caSecret, 'tls.key'),
  );
  const cert = new X509Certificate(text(serving, 'tls.crt'));
  expect(cert.subjectAltName).toBe(NAMES.map((n) => `DNS:${n}`).join(', '));
  expect(handed).toHaveLength(1);
  expect(handed[0]!.cert).toBe(text(serving, 'tls.crt'));
  // Both webhooks and the APIService carry the CA, and a client trusting it accepts the server.
  expect(await publishedBundles()).toEqual([
    text(caSecret, 'tls.crt'),
    text(caSecret, 'tls.crt'),
    text(caSecret, 'tls.crt'),
  ]);
  expect(await handshake(handed[0]!, (await publishedBundles())[0]!)).toBe('HTTP 200');
});

test('another replica adopts them: nothing is renewed, the same certificate is served', async () => {
  const got: KeyPair[] = [];
  const plan = await rotator((p) => got.push(p)).reconcile();
  expect(plan).toMatchObject({ renewCa: false, renewServer: false });
  expect(got[0]!.cert).toBe(handed[0]!.cert);
});

test('20 hours later the serving certificate is renewed under the same CA', async () => {
  const caBefore = text(await secret('virtkit-api-ca'), 'tls.crt');
  clock += 20 * H;
  const plan = await rotator().reconcile();
  expect(plan).toMatchObject({ renewCa: false, renewServer: true });
  expect(text(await secret('virtkit-api-ca'), 'tls.crt')).toBe(caBefore);
  const latest = handed[handed.length - 1]!;
  expect(latest.cert).not.toBe(handed[0]!.cert);
  expect(chainsTo(latest.cert, (await publishedBundles())[2]!)).toBe(true);
});

test('near the end of the CA, a new CA is made and the old one stays trusted beside it', async () => {
  const oldCa = text(await secret('virtkit-api-ca'), 'tls.crt');
  const oldServing = handed[handed.length - 1]!;
  clock += 120 * H;
  const plan = await rotator().reconcile();
  expect(plan).toMatchObject({ renewCa: true, renewServer: true });
  const caSecret = await secret('virtkit-api-ca');
  expect(text(caSecret, 'tls.crt')).not.toBe(oldCa);
  const bundle = splitPem(text(caSecret, 'ca-bundle.crt'));
  expect(bundle).toEqual([text(caSecret, 'tls.crt'), oldCa]);
  const published = (await publishedBundles())[0]!;
  expect(splitPem(published)).toEqual(bundle);
  // Servers still on the old certificate and those on the new one are both trusted meanwhile.
  expect(chainsTo(oldServing.cert, published)).toBe(true);
  expect(chainsTo(handed[handed.length - 1]!.cert, published)).toBe(true);
  // ...and the old CA alone would not trust the new certificate (the check can fail).
  expect(chainsTo(handed[handed.length - 1]!.cert, oldCa)).toBe(false);
});

test('two replicas renewing at once: one wins, the other reads its certificates on the next pass', async () => {
  await admin.delete(SECRETS, NS, 'virtkit-api-certs');
  await admin.delete(SECRETS, NS, 'virtkit-api-ca');
  const a: KeyPair[] = [];
  const b: KeyPair[] = [];
  const results = await Promise.allSettled([
    rotator((p) => a.push(p)).reconcile(),
    rotator((p) => b.push(p)).reconcile(),
  ]);
  const lost = results.filter((r) => r.status === 'rejected');
  for (const r of lost)
    expect((r as PromiseRejectedResult).reason).toBeInstanceOf(CertificateWriteConflictError);
  expect(lost.length).toBeLessThanOrEqual(1);
  // The next pass of both settles on what is stored.
  const second = [rotator((p) => a.push(p)), rotator((p) => b.push(p))];
  for (const r of second) expect(await r.reconcile()).toMatchObject({ renewCa: false, renewServer: false });
  const stored = text(await secret('virtkit-api-certs'), 'tls.crt');
  expect(a[a.length - 1]!.cert).toBe(stored);
  expect(b[b.length - 1]!.cert).toBe(stored);
});

describe("the node API's certificates (virtkit api calling the handlers)", () => {
  // Its own clock, at the machine's time: these certificates go through real TLS handshakes.
  let nodeClock = Date.now();
  const SECRETS_OF = {
    ca: 'virtkit-node-ca',
    handler: 'virtkit-handler-certs',
    apiClient: 'virtkit-api-node-client',
  };
  const nodePki = (): NodePkiRotator =>
    new NodePkiRotator({
      client: admin,
      namespace: NS,
      secrets: SECRETS_OF,
      clientName: NODE_API_CLIENT_NAME,
      log: pino({ level: 'silent' }),
      now: () => new Date(nodeClock),
    });
  const creds = async (name: string): Promise<TlsCredentials> => {
    const s = await secret(name);
    return {
      cert: Buffer.from(text(s, 'tls.crt')),
      key: Buffer.from(text(s, 'tls.key')),
      ca: Buffer.from(text(s, 'ca.crt')),
    };
  };

  /** A node API request with `client` credentials (or none) to a handler serving `server`. */
  async function callHandler(server: TlsCredentials, client?: TlsCredentials): Promise<string> {
    const api = await startNodeApiServer({
      tls: { credentials: server },
      allowedClients: [NODE_API_CLIENT_NAME],
      host: '127.0.0.1',
      port: 0,
      nodeName: 'node-a',
      locator: { locate: () => ({ kind: 'absent' }) },
      log: pino({ level: 'silent' }),
    });
    try {
      return await new Promise((resolve) => {
        https
          .request(
            {
              host: '127.0.0.1',
              port: api.port,
              method: 'PUT',
              path: nodeVmiPath('ns', 'vm', 'pause'),
              ca: server.ca,
              servername: NODE_API_SERVER_NAME,
              ...(client ? { cert: client.cert, key: client.key } : {}),
            },
            (res) => {
              let body = '';
              res.on('data', (d: Buffer) => (body += d.toString()));
              res.on('end', () =>
                resolve(`HTTP ${res.statusCode} ${(JSON.parse(body) as { message: string }).message}`),
              );
            },
          )
          .on('error', (e) => resolve(e.message))
          .end();
      });
    } finally {
      await api.close();
    }
  }

  test("the first pass makes the node CA, the handlers' serving certificate and the api's client certificate; with them the api and a handler talk mutual TLS, and nothing else passes", async () => {
    await nodePki().reconcile();
    const handler = await creds(SECRETS_OF.handler);
    const client = await creds(SECRETS_OF.apiClient);
    expect(new X509Certificate(handler.cert).subjectAltName).toBe(`DNS:${NODE_API_SERVER_NAME}`);
    expect(new X509Certificate(client.cert).subject).toBe(`CN=${NODE_API_CLIENT_NAME}`);
    expect(chainsTo(handler.cert.toString(), handler.ca.toString())).toBe(true);
    expect(chainsTo(client.cert.toString(), client.ca.toString())).toBe(true);
    // The node CA is its own: the api's serving CA (made above) does not sign these.
    expect(chainsTo(handler.cert.toString(), text(await secret('virtkit-api-ca'), 'tls.crt'))).toBe(false);
    // The handler answers the api (the VMI is not on its node: authentication passed).
    expect(await callHandler(handler, client)).toBe(
      'HTTP 404 virtualmachineinstance ns/vm does not run on node node-a',
    );
    // No client certificate, or the handler's own as a client: refused.
    expect(await callHandler(handler)).toMatch(/^HTTP 401 /);
    expect(await callHandler(handler, handler)).toMatch(/^HTTP 40[13] /);
    // What the components read through the API is what the rotator wrote.
    const source = new TlsSecretSource({
      client: admin,
      namespace: NS,
      name: SECRETS_OF.apiClient,
      log: pino({ level: 'silent' }),
    });
    await source.start();
    source.stop();
    expect(source.current()).toEqual(client);
  });

  test('a second pass renews nothing; 20 hours on, both certificates are renewed under the same CA', async () => {
    const caCert = async (): Promise<string> => text(await secret(SECRETS_OF.ca), 'tls.crt');
    const leaves = (): Promise<TlsCredentials[]> =>
      Promise.all([SECRETS_OF.handler, SECRETS_OF.apiClient].map(creds));
    const ca0 = await caCert();
    const before = await leaves();
    await nodePki().reconcile();
    expect([await caCert(), await leaves()]).toEqual([ca0, before]);
    nodeClock += 20 * H;
    await nodePki().reconcile();
    const [handler, client] = await leaves();
    expect(await caCert()).toBe(ca0);
    expect(handler!.cert).not.toEqual(before[0]!.cert);
    expect(client!.cert).not.toEqual(before[1]!.cert);
    expect(chainsTo(handler!.cert.toString(), ca0)).toBe(true);
    expect(chainsTo(client!.cert.toString(), ca0)).toBe(true);
  });
});
