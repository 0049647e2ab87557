/** Kubeconfig files for the local control plane (pure rendering; the caller writes them). */
import { stringify } from 'yaml';

export const CONTEXT_NAME = 'virtkit-local';

export interface KubeconfigInput {
  readonly server: string;
  readonly user: string;
  /** PEM texts, embedded so the file stands alone (it can be copied elsewhere). */
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
}

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

export function renderKubeconfig(input: KubeconfigInput): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: CONTEXT_NAME,
        cluster: { server: input.server, 'certificate-authority-data': b64(input.caPem) },
      },
    ],
    users: [
      {
        name: input.user,
        user: { 'client-certificate-data': b64(input.certPem), 'client-key-data': b64(input.keyPem) },
      },
    ],
    contexts: [
      { name: CONTEXT_NAME, context: { cluster: CONTEXT_NAME, user: input.user, namespace: 'default' } },
    ],
    'current-context': CONTEXT_NAME,
  });
}
