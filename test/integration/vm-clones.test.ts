/**
 * KubeVirt's VirtualMachineClones against the real control plane, with real data: the controller
 * (ControllerManager, under its own identity and RBAC) clones a stopped VM whose claim lives on a
 * node's local storage (the handler's provisioner and snapshotter, really copying the disk image)
 * through a snapshot and a restore of its own, as KubeVirt does:
 *
 * - the new VM exists, stopped, with the source's data (sha256 of its disk equal to the source's
 *   at clone time, and unchanged when the source's disk changes afterwards), the labels the
 *   filters keep, no MAC address where the source pinned one (virtkit derives it from the new
 *   name) and the SMBIOS serial the clone asked for; the clone is Succeeded with KubeVirt's
 *   conditions and Events, and its temporary snapshot and restore are gone;
 * - a clone without a target names its VM `<source>-clone-<5>`; deleting that VM deletes the
 *   Succeeded clone, as KubeVirt does;
 * - a clone onto a VM that exists already fails and leaves that VM alone.
 *
 * Booting a cloned guest is an end-to-end matter (a node runs launchers); this suite has none.
 */
import { randomBytes } from 'crypto';
import { derivedMac } from '../../launcher/plan/network';
import {
  EVENTS,
  KubeClient,
  PVCS,
  VIRTUAL_MACHINE_RESTORES,
  VIRTUAL_MACHINE_SNAPSHOTS,
  VIRTUAL_MACHINES,
  VIRTUAL_MACHINE_CLONES,
} from '../../kube';
import { type Json } from './support/api';
import { startControllerSuite, type ControllerSuite } from './support/controller-suite';
import { fillDisk, sha256File, type LocalStorageNode } from './support/local-storage-node';

const id = randomBytes(3).toString('hex');
const NS = `vm-clones-${id}`;
const NODE = 'it-clone-node';

type Condition = { type: string; status: string; reason?: string; message?: string };
type Obj = Json & {
  metadata: Json & {
    name: string;
    uid: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
  };
  spec?: Json;
  status?: Json & {
    phase?: string;
    snapshotName?: string | null;
    restoreName?: string | null;
    targetName?: string | null;
    conditions?: Condition[];
    volumeSnapshotStatuses?: { name: string; enabled: boolean }[];
  };
};

let suite: ControllerSuite;
let admin: KubeClient;
let node: LocalStorageNode;
const wait = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs?: number): Promise<T> =>
  suite.wait(what, probe, timeoutMs);

const cond = (o: Obj, type: string): Condition | undefined =>
  o.status?.conditions?.find((c) => c.type === type);
const diskOf = (claim: string): Promise<string> => node.diskOf(NS, claim);

function vmClone(name: string, spec: Json): Promise<Obj> {
  return admin.create<Obj>(VIRTUAL_MACHINE_CLONES, NS, {
    apiVersion: 'clone.kubevirt.io/v1beta1',
    kind: 'VirtualMachineClone',
    metadata: { name, namespace: NS },
    spec: { source: { apiGroup: 'kubevirt.io', kind: 'VirtualMachine', name: 'src' }, ...spec },
  });
}

/** The clone once Succeeded with its temporary snapshot and restore let go. */
const done = (name: string): Promise<Obj> =>
  wait(
    `VirtualMachineClone ${name} to succeed and clean up`,
    async () => {
      const c = await admin.get<Obj>(VIRTUAL_MACHINE_CLONES, NS, name);
      return c.status?.phase === 'Succeeded' && !c.status.snapshotName && !c.status.restoreName
        ? c
        : undefined;
    },
    180_000,
  );

const getVm = (name: string): Promise<Obj> => admin.get<Obj>(VIRTUAL_MACHINES, NS, name);
const templateSpec = (vm: Obj): Json => (vm.spec?.template as Json).spec as Json;

async function eventReasons(name: string): Promise<string[]> {
  const events = await admin.list<Json>(EVENTS, NS, { fieldSelector: `involvedObject.name=${name}` });
  return events.items.map((e) => String(e.reason));
}

let rootSha: string;

beforeAll(async () => {
  suite = await startControllerSuite({ namespace: NS, id, nodeName: NODE });
  ({ admin, node } = suite);

  // The source VM: a claim holding known bytes, a pinned MAC address and SMBIOS serial, labels
  // for the filters to sort out.
  await admin.create(PVCS, NS, node.claim(NS, 'src-root'));
  rootSha = fillDisk(await diskOf('src-root'), 'root at clone time');
  await admin.create(VIRTUAL_MACHINES, NS, {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: {
      name: 'src',
      namespace: NS,
      labels: { app: 'src', 'example.com/team': 'a', 'example.com/secret': 's' },
    },
    spec: {
      runStrategy: 'Halted',
      template: {
        spec: {
          domain: {
            devices: {
              disks: [{ name: 'root', disk: { bus: 'virtio' } }],
              interfaces: [{ name: 'default', masquerade: {}, macAddress: '02:00:00:00:00:01' }],
            },
            firmware: { serial: 'SRC-SERIAL' },
            resources: { requests: { memory: '128Mi' } },
          },
          networks: [{ name: 'default', pod: {} }],
          volumes: [{ name: 'root', persistentVolumeClaim: { claimName: 'src-root' } }],
        },
      },
    },
  });
  await wait('the source VM to report its claim volume snapshot-able', async () => {
    const vm = await getVm('src');
    return vm.status?.volumeSnapshotStatuses?.some((s) => s.name === 'root' && s.enabled) ? vm : undefined;
  });
}, 240_000);

afterAll(async () => {
  await suite?.stop([VIRTUAL_MACHINE_CLONES, VIRTUAL_MACHINE_RESTORES, VIRTUAL_MACHINE_SNAPSHOTS]);
});

describe('a clone of a stopped VM', () => {
  let cloned: Obj;
  let uid: string;

  test('succeeds through a snapshot and a restore of its own, which are gone afterwards', async () => {
    uid = (
      await vmClone('to-copy', {
        target: { apiGroup: 'kubevirt.io', kind: 'VirtualMachine', name: 'copy' },
        labelFilters: ['*', '!example.com/secret'],
        newSMBiosSerial: 'COPY-SERIAL',
      })
    ).metadata.uid;
    cloned = await done('to-copy');
    expect(cloned.status?.targetName).toBe('copy');
    expect(cond(cloned, 'Ready')).toMatchObject({ status: 'True', reason: 'Ready' });
    expect(cond(cloned, 'Progressing')).toMatchObject({ status: 'False', reason: 'Ready' });
    await wait('the temporary snapshot and restore to be gone', async () =>
      (await admin.getIfExists(VIRTUAL_MACHINE_SNAPSHOTS, NS, `tmp-snapshot-${uid}`)) ||
      (await admin.getIfExists(VIRTUAL_MACHINE_RESTORES, NS, `tmp-restore-${uid}`))
        ? undefined
        : true,
    );
    expect(await eventReasons('to-copy')).toEqual(
      expect.arrayContaining([
        'SnapshotCreated',
        'SnapshotReady',
        'RestoreCreated',
        'RestoreReady',
        'TargetVMCreated',
        'PVCBound',
      ]),
    );
  });

  test("the new VM is stopped, filtered, with an identity of its own and the source's data", async () => {
    const vm = await getVm('copy');
    expect(vm.spec?.runStrategy).toBe('Halted');
    expect(vm.metadata.labels).toEqual({ app: 'src', 'example.com/team': 'a' });
    const tspec = templateSpec(vm);
    const domain = tspec.domain as Json & { devices: { interfaces: Json[] }; firmware?: Json };
    // The pinned MAC is gone: the launcher derives one from the new VM's name.
    expect(domain.devices.interfaces).toEqual([{ name: 'default', masquerade: {} }]);
    expect(derivedMac(NS, 'copy', 'default')).not.toBe('02:00:00:00:00:01');
    expect(domain.firmware).toEqual({ serial: 'COPY-SERIAL' });

    const claimName = String(
      ((tspec.volumes as Json[])[0]!.persistentVolumeClaim as Json | undefined)?.claimName ?? '',
    );
    expect(claimName).toMatch(/^restore-[0-9a-f-]+-root$/);
    expect(claimName).not.toBe('src-root');
    const copyDisk = await diskOf(claimName);
    expect(sha256File(copyDisk)).toBe(rootSha);

    // A copy, not a share: the source's disk changing leaves the clone's as it was.
    fillDisk(await diskOf('src-root'), 'root after the clone');
    expect(sha256File(await diskOf('src-root'))).not.toBe(rootSha);
    expect(sha256File(copyDisk)).toBe(rootSha);
    rootSha = sha256File(await diskOf('src-root'));
  });

  test('the source VM is left as it was', async () => {
    const src = await wait('the source VM to be let go by the snapshot', async () => {
      const v = await getVm('src');
      return v.status?.snapshotInProgress === undefined ? v : undefined;
    });
    expect(src.metadata.labels).toEqual({ app: 'src', 'example.com/team': 'a', 'example.com/secret': 's' });
    expect(JSON.stringify(templateSpec(src))).toContain('"macAddress":"02:00:00:00:00:01"');
  });
});

describe('a clone without a target', () => {
  test('names its VM <source>-clone-<5>; deleting that VM deletes the clone, as KubeVirt does', async () => {
    await vmClone('unnamed', {});
    const c = await done('unnamed');
    const target = String(c.status?.targetName ?? '');
    expect(target).toMatch(/^src-clone-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    const vm = await getVm(target);
    expect(JSON.stringify(templateSpec(vm))).not.toMatch(/macAddress|"serial"/);
    expect(
      sha256File(
        await diskOf(
          String(((templateSpec(vm).volumes as Json[])[0]!.persistentVolumeClaim as Json).claimName),
        ),
      ),
    ).toBe(rootSha);

    await admin.delete(VIRTUAL_MACHINES, NS, target);
    await wait('the clone of the deleted VM to be deleted', async () =>
      (await admin.getIfExists(VIRTUAL_MACHINE_CLONES, NS, 'unnamed')) ? undefined : true,
    );
  });
});

describe('a clone onto a VM that exists', () => {
  test('fails, says why, and leaves that VM alone', async () => {
    const before = await getVm('copy');
    await vmClone('clobber', { target: { apiGroup: 'kubevirt.io', kind: 'VirtualMachine', name: 'copy' } });
    const c = await wait('the clone onto copy to fail', async () => {
      const o = await admin.get<Obj>(VIRTUAL_MACHINE_CLONES, NS, 'clobber');
      return o.status?.phase === 'Failed' ? o : undefined;
    });
    expect(cond(c, 'Ready')).toMatchObject({
      status: 'False',
      reason: `target VirtualMachine ${NS}/copy already exists`,
    });
    expect(cond(c, 'Progressing')).toMatchObject({ status: 'False', reason: 'Failed' });
    expect(await eventReasons('clobber')).toContain('TargetVMExists');
    const after = await getVm('copy');
    expect(after.metadata.uid).toBe(before.metadata.uid);
    expect(after.spec).toEqual(before.spec);
  });
});
