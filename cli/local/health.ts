/** HTTP(S) health probes for the control-plane components. */
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';

/**
 * How to reach a component's health endpoint. `tls: 'ca'` verifies the server against the local
 * CA and presents the admin client certificate; `'self-signed'` is for the scheduler and
 * controller manager, whose serving certificates they make themselves on loopback.
 */
export interface HealthCheck {
  readonly url: string;
  readonly tls: 'none' | 'ca' | 'self-signed';
}

export interface TlsFiles {
  readonly caCert: string;
  readonly clientCert: string;
  readonly clientKey: string;
}

export interface ProbeResult {
  readonly healthy: boolean;
  /** The status line and body, or the connection error: what `status` shows when unhealthy. */
  readonly detail: string;
}

export function probe(check: HealthCheck, tls: TlsFiles | undefined, timeoutMs = 3000): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const url = new URL(check.url);
    const onResponse = (res: http.IncomingMessage): void => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < 4096) body += chunk;
      });
      res.on('end', () => {
        const healthy = res.statusCode === 200;
        resolve({ healthy, detail: `HTTP ${res.statusCode}: ${body.trim().slice(0, 500)}` });
      });
    };
    let req: http.ClientRequest;
    if (check.tls === 'none') {
      req = http.get(url, { timeout: timeoutMs }, onResponse);
    } else {
      const options: https.RequestOptions = { timeout: timeoutMs };
      if (check.tls === 'ca' && tls) {
        options.ca = fs.readFileSync(tls.caCert);
        options.cert = fs.readFileSync(tls.clientCert);
        options.key = fs.readFileSync(tls.clientKey);
      } else {
        options.rejectUnauthorized = false;
      }
      req = https.get(url, options, onResponse);
    }
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs}ms`)));
    req.on('error', (err) => resolve({ healthy: false, detail: err.message }));
  });
}
