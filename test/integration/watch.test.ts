/**
 * Watches on virtkit's custom resources work end to end through kube-apiserver and its etcd,
 * read through virtkit's client (kube/, whose watches are @kubernetes/client-node's). (This is what rules out Debian's etcd 3.4: against it,
 * kube-apiserver answers a watch without a resourceVersion with an ERROR event.)
 */
import { VIRTUAL_MACHINES } from '../../kube';
import { applyStrict, createNamespace, deleteNamespace, sharedClient, type Json } from './support/api';

const NAMESPACE = `watch-${process.pid}`;

function vm(name: string, runStrategy: string): Json {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name, namespace: NAMESPACE },
    spec: {
      runStrategy,
      template: { spec: { domain: { devices: {} } } },
    },
  };
}

beforeAll(async () => {
  await createNamespace(await sharedClient(), NAMESPACE);
});

afterAll(async () => {
  await deleteNamespace(await sharedClient(), NAMESPACE);
});

test('a watch on VirtualMachines sees ADDED, MODIFIED and DELETED in order', async () => {
  const client = await sharedClient();
  const seen: string[] = [];
  let notify: (ended?: boolean) => void = () => undefined;
  let stopping = false;
  const watch = await client.listWatch<Json>(VIRTUAL_MACHINES, undefined, NAMESPACE).watch(
    '',
    (type, object) => {
      const obj = object as Json;
      if (type === 'BOOKMARK') return;
      if (type === 'ERROR') seen.push(`ERROR ${String(obj.message)}`);
      else seen.push(`${type} ${(obj.metadata as Json).name} ${(obj.spec as Json).runStrategy}`);
      notify();
    },
    (err: unknown) => {
      // The stream ending early is a failure to report, not a reason to wait for the timeout.
      if (!stopping) {
        seen.push(`watch ended: ${String(err)}`);
        notify(true);
      }
    },
  );
  const until = (count: number): Promise<void> =>
    new Promise((resolve) => {
      notify = (ended = false) => {
        if (ended || seen.length >= count || seen.some((e) => e.startsWith('ERROR'))) resolve();
      };
      notify();
    });
  try {
    await applyStrict(client, vm('watched', 'Halted'));
    await until(1);
    await applyStrict(client, vm('watched', 'Always'));
    await until(2);
    await client.delete(VIRTUAL_MACHINES, NAMESPACE, 'watched');
    await until(3);
  } finally {
    stopping = true;
    watch.abort();
  }
  expect(seen).toEqual(['ADDED watched Halted', 'MODIFIED watched Always', 'DELETED watched Always']);
});
