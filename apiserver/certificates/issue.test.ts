import * as https from 'https';
import type { AddressInfo } from 'net';
import { X509Certificate } from 'crypto';
import { factsOf, issueCa, issueClient, issueServing, keyMatches, splitPem } from './issue';

const NOW = new Date();
const NAMES = ['virtkit-api.virtkit.svc', 'virtkit-api.virtkit.svc.cluster.local'];
const ca = issueCa(NOW, 168 * 3_600_000);
const serving = issueServing(ca, NOW, 24 * 3_600_000, NAMES);

/** Whether a TLS client trusting `bundle` accepts `serving` for `servername`. */
async function handshake(bundle: string, servername: string): Promise<string> {
  const server = https.createServer({ cert: serving.cert, key: serving.key }, (_req, res) => res.end('ok'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    return await new Promise<string>((resolve) => {
      const req = https.get(
        {
          host: '127.0.0.1',
          port: (server.address() as AddressInfo).port,
          ca: bundle,
          servername,
          path: '/',
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(`HTTP ${res.statusCode}`));
        },
      );
      req.on('error', (err) => resolve(err.message));
    });
  } finally {
    server.close();
  }
}

test('a client trusting the CA accepts the serving certificate for each of its names, and no other', async () => {
  expect(await handshake(ca.cert, NAMES[0]!)).toBe('HTTP 200');
  expect(await handshake(ca.cert, NAMES[1]!)).toBe('HTTP 200');
  expect(await handshake(ca.cert, 'other.virtkit.svc')).toMatch(/altnames/i);
  // A client that trusts another CA refuses it.
  expect(await handshake(issueCa(NOW, 3_600_000).cert, NAMES[0]!)).toMatch(
    /self[- ]signed|unable to verify|local issuer/i,
  );
});

test('facts: validity, names, and whether the CA signed it', () => {
  const facts = factsOf(serving.cert, ca.cert)!;
  expect(facts.dnsNames).toEqual(NAMES);
  expect(facts.signedByCa).toBe(true);
  expect(facts.notAfter.getTime() - NOW.getTime()).toBeGreaterThan(23.9 * 3_600_000);
  expect(facts.notBefore.getTime()).toBeLessThan(NOW.getTime());
  expect(factsOf(serving.cert, issueCa(NOW, 3_600_000).cert)!.signedByCa).toBe(false);
  expect(factsOf('not a certificate')).toBeUndefined();
  expect(factsOf(ca.cert)!.dnsNames).toEqual([]);
});

test('a key is recognised as its certificate’s only', () => {
  expect(keyMatches(serving.cert, serving.key)).toBe(true);
  expect(keyMatches(serving.cert, ca.key)).toBe(false);
  expect(keyMatches(serving.cert, 'garbage')).toBe(false);
});

test('a bundle splits into its certificates', () => {
  const other = issueCa(NOW, 3_600_000).cert;
  expect(splitPem(`${ca.cert}${other}`)).toHaveLength(2);
  expect(splitPem('')).toEqual([]);
});

test('a client certificate carries its common name and clientAuth only, signed by the CA', () => {
  const client = issueClient(ca, NOW, 24 * 3_600_000, 'virtkit-api-node-client');
  const x = new X509Certificate(client.cert);
  expect(x.subject).toBe('CN=virtkit-api-node-client');
  expect(x.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
  expect(x.checkIssued(new X509Certificate(ca.cert))).toBe(true);
  expect(keyMatches(client.cert, client.key)).toBe(true);
});
