/**
 * What the snapshot, restore and clone suites share: a namespace of their own, a node's local
 * storage (./local-storage-node.ts), and the controller (ControllerManager, in-process, under its
 * own identity and RBAC) watching that namespace, its log kept for failure messages; and the
 * teardown that lets the controller remove its finalizers before it stops.
 */
import { installRbac } from '../../../cli/local/rbac';
import { componentKubeconfig, layout } from '../../../cli/local/layout';
import { createLogger } from '../../../common/log';
import { ControllerManager } from '../../../controller/manager';
import { VIRTUAL_MACHINES, type KubeClient, type ResourceType } from '../../../kube';
import { createNamespace, deleteNamespace, sharedClient, type Json } from './api';
import { eventually } from './eventually';
import { startLocalStorageNode, type LocalStorageNode } from './local-storage-node';
import { readShared } from './shared-controlplane';

export interface ControllerSuite {
  readonly admin: KubeClient;
  readonly node: LocalStorageNode;
  readonly manager: ControllerManager;
  /** Polls `probe` until it answers; a timeout shows the last lines of the components' logs. */
  wait<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs?: number): Promise<T>;
  /**
   * Deletes the suite's objects of `kinds` (in that order) while the controller runs and waits
   * for them to go, stops the controller, strips finalizers nothing will remove now (of `kinds`
   * and VMs), deletes the namespace and stops the node.
   */
  stop(kinds: readonly ResourceType[]): Promise<void>;
}

export async function startControllerSuite(o: {
  readonly namespace: string;
  /** Suffix for the node's class names. */
  readonly id: string;
  readonly nodeName: string;
}): Promise<ControllerSuite> {
  const ns = o.namespace;
  const logs: string[] = [];
  const admin = await sharedClient();
  await installRbac(admin);
  await createNamespace(admin, ns);
  const log = (component: string) =>
    createLogger({ component, destination: { write: (line: string) => void logs.push(line) } });
  const node = await startLocalStorageNode({ admin, node: o.nodeName, id: o.id, log });
  const manager = await ControllerManager.create({
    connection: { kubeconfig: componentKubeconfig(layout(readShared().stateDir), 'virtkit-controller') },
    namespace: ns,
    log: log('virtkit-controller'),
  });
  await manager.start();
  const wait = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> =>
    eventually(what, probe, { timeoutMs, context: () => `logs:\n${logs.slice(-40).join('')}` });
  const names = async (rt: ResourceType): Promise<{ name: string; finalizers?: string[] }[]> =>
    (await admin.list<Json>(rt, ns).catch(() => ({ items: [] as Json[] }))).items.map(
      (x) => x.metadata as { name: string; finalizers?: string[] },
    );

  return {
    admin,
    node,
    manager,
    wait,
    async stop(kinds) {
      for (const rt of kinds)
        for (const m of await names(rt)) await admin.delete(rt, ns, m.name).catch(() => undefined);
      await wait(`the suite's ${kinds.map((k) => k.plural).join(', ')} to go`, async () => {
        for (const rt of kinds) if ((await names(rt)).length) return undefined;
        return true;
      }).catch(() => undefined);
      await manager.stop();
      for (const rt of [...kinds, VIRTUAL_MACHINES])
        for (const m of await names(rt))
          if (m.finalizers?.length)
            await admin.mergePatch(rt, ns, m.name, { metadata: { finalizers: null } }).catch(() => undefined);
      await deleteNamespace(admin, ns);
      await node.stop(ns);
      if (process.env.VIRTKIT_IT_VERBOSE) console.error(logs.join(''));
    },
  };
}
