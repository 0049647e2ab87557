/**
 * VM snapshots and restores with a real guest on the local runtime (controller, handler with
 * its volume provisioner and snapshotter, launcher, QEMU). The guest counts its boots on a
 * counter disk (a claim of the node's local storage): the count it writes is the data.
 *
 * A stopped VM booted once is snapshotted (count 1), booted again (count 2) and snapshotted
 * online (the guest frozen through its agent and thawed, still running), and restored onto
 * itself: its disk is a new claim holding count 1, and the guest's next boot counts 2 again (the
 * old disk would have said 3); its MAC address is the same. A restore of the same snapshot to a
 * new VM boots with count 1 + 1 and a MAC address of its own. A VirtualMachineClone of the VM
 * boots with the VM's data, a MAC address of its own and the SMBIOS serial it was given.
 *
 * Last, a fault: a guest whose agent fails every freeze part-way (virtkit.fsfreeze_fails: left
 * in frozen state, answering an error) is snapshotted online. The guest is thawed after each
 * failed freeze and keeps running; the snapshot fails at its failureDeadline with the freeze's
 * error, and lets go of its VM leaving no content or VolumeSnapshot behind.
 */
import * as fs from 'fs';
import * as path from 'path';
import { LOCAL_VOLUME_DRIVER } from '../../api/storage/local';
import {
  createCounterDisk,
  ensureGuestImage,
  GuestMarkers,
  readCounterDisk,
  type GuestImage,
} from '../fixtures/guest/build';
import { consoleHas, eventsOf, waitRunning } from './runtime-support/expect';
import { guestVm } from './runtime-support/manifests';
import { Runtime, type Obj } from './runtime-support/runtime';

jest.setTimeout(900_000);

const NS = 'rt-restores';
const CLASS = 'e2e-local-immediate';
let rt: Runtime;
let image: GuestImage;

type Claim = Obj & { spec?: { volumeName?: string } };

/** The disk image of a bound claim of the node's local storage. */
async function diskOf(claim: string): Promise<string> {
  const c = await rt.waitFor(`claim ${claim} Bound`, () => {
    const o = rt.get('pvc', NS, claim) as Claim | undefined;
    return o?.status?.phase === 'Bound' ? o : undefined;
  });
  const pv = rt.get('pv', undefined, c.spec?.volumeName ?? '') as Obj & {
    spec?: { local?: { path?: string } };
  };
  return path.join(pv.spec?.local?.path ?? '', 'disk.img');
}

const patchVm = (name: string, runStrategy: string): void =>
  void rt.kubectl([
    '-n',
    NS,
    'patch',
    'vm',
    name,
    '--type=merge',
    '-p',
    JSON.stringify({ spec: { runStrategy } }),
  ]);

/** Boots `vm` and returns its VMI once the guest counted the boot `count` on its data disk. */
async function boot(vm: string, count: number, notUid?: string): Promise<Obj> {
  patchVm(vm, 'Always');
  const vmi = await waitRunning(rt, NS, vm, GuestMarkers.booted, notUid);
  await rt.waitFor(`${vm}: boot count ${count} on the console`, () =>
    consoleHas(rt, NS, vm, `${GuestMarkers.bootCount} dev=vdb serial=none count=${count}`),
  );
  return vmi;
}

async function halt(vm: string): Promise<void> {
  patchVm(vm, 'Halted');
  await rt.waitFor(`${vm}: VMI gone`, () => !rt.get('vmi', NS, vm), 240_000);
}

const macOf = (vmi: Obj): string | undefined =>
  (vmi.status?.interfaces as { mac?: string }[] | undefined)?.[0]?.mac;

function restore(name: string, target: string): void {
  rt.apply({
    apiVersion: 'snapshot.kubevirt.io/v1beta1',
    kind: 'VirtualMachineRestore',
    metadata: { name, namespace: NS },
    spec: {
      target: { apiGroup: 'kubevirt.io', kind: 'VirtualMachine', name: target },
      virtualMachineSnapshotName: 'counted-once',
    },
  });
}

const completed = (name: string): Promise<Obj> =>
  rt.waitFor(
    `VirtualMachineRestore ${name} complete`,
    () => {
      const r = rt.get('vmrestore', NS, name);
      return (r?.status as { complete?: boolean } | undefined)?.complete === true ? r : undefined;
    },
    240_000,
    () => rt.get('vmrestore', NS, name)?.status,
  );

let sourceMac: string | undefined;

beforeAll(async () => {
  image = ensureGuestImage();
  rt = await Runtime.startAll(NS, { volumeSnapshots: true });
  // A class of the local driver that binds at once, so the test can write the counter disk
  // before the first boot.
  rt.apply({
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: CLASS },
    provisioner: LOCAL_VOLUME_DRIVER,
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'Immediate',
  });
  rt.apply({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'counter', namespace: NS },
    spec: {
      storageClassName: CLASS,
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '32Mi' } },
    },
  });
  createCounterDisk(await diskOf('counter'), 32 * 2 ** 20);
  rt.apply(guestVm(image, { namespace: NS, name: 'counted', runStrategy: 'Halted', dataClaim: 'counter' }));
}, 600_000);

afterAll(async () => {
  await rt?.stop();
});

it('a stopped VM is snapshotted with the data its guest wrote', async () => {
  sourceMac = macOf(await boot('counted', 1));
  await halt('counted');
  rt.apply({
    apiVersion: 'snapshot.kubevirt.io/v1beta1',
    kind: 'VirtualMachineSnapshot',
    metadata: { name: 'counted-once', namespace: NS },
    spec: { source: { apiGroup: 'kubevirt.io', kind: 'VirtualMachine', name: 'counted' } },
  });
  const snap = await rt.waitFor(
    'VirtualMachineSnapshot counted-once ready',
    () => {
      const s = rt.get('vmsnapshot', NS, 'counted-once');
      return (s?.status as { readyToUse?: boolean } | undefined)?.readyToUse ? s : undefined;
    },
    240_000,
    () => rt.get('vmsnapshot', NS, 'counted-once')?.status,
  );
  // Offline: no Online indication, and nothing left out (the container disk is not snapshottable).
  expect((snap.status as { indications?: string[] }).indications ?? []).toEqual([]);
  // The guest goes on counting on the VM's own disk.
  const before = await boot('counted', 2);

  // An online snapshot of the running guest: frozen through its agent, thawed after.
  await rt.waitFor('the guest agent to connect', () =>
    rt
      .get('vmi', NS, 'counted')
      ?.status?.conditions?.some((c) => c.type === 'AgentConnected' && c.status === 'True'),
  );
  rt.apply({
    apiVersion: 'snapshot.kubevirt.io/v1beta1',
    kind: 'VirtualMachineSnapshot',
    metadata: { name: 'counted-online', namespace: NS },
    spec: { source: { apiGroup: 'kubevirt.io', kind: 'VirtualMachine', name: 'counted' } },
  });
  const online = await rt.waitFor(
    'VirtualMachineSnapshot counted-online ready',
    () => {
      const s = rt.get('vmsnapshot', NS, 'counted-online');
      return (s?.status as { readyToUse?: boolean } | undefined)?.readyToUse ? s : undefined;
    },
    240_000,
    () => rt.get('vmsnapshot', NS, 'counted-online')?.status,
  );
  expect((online.status as { indications?: string[] }).indications).toEqual(['GuestAgent', 'Online']);
  const running = rt.get('vmi', NS, 'counted');
  expect(running?.metadata.uid).toBe(before.metadata.uid);
  expect(running?.status?.phase).toBe('Running');
  expect((running?.status as { fsFreezeStatus?: string }).fsFreezeStatus).toBeUndefined();
  await halt('counted');
  expect(readCounterDisk(await diskOf('counter'))).toBe(2);
  expect(macOf(before)).toBe(sourceMac);
});

it('a restore onto the VM brings the snapshot data back; the guest boots from it with the same MAC', async () => {
  restore('back-to-one', 'counted');
  const done = await completed('back-to-one');
  const uid = done.metadata.uid;
  const vm = rt.get('vm', NS, 'counted') as Obj & {
    spec: {
      template: { spec: { volumes: { name: string; persistentVolumeClaim?: { claimName: string } }[] } };
    };
  };
  const data = vm.spec.template.spec.volumes.find((v) => v.name === 'data');
  expect(data?.persistentVolumeClaim?.claimName).toBe(`restore-${uid}-data`);
  expect(readCounterDisk(await diskOf(`restore-${uid}-data`))).toBe(1);
  // The old disk is left as it was (a RandomizeNames restore does not delete claims).
  expect(readCounterDisk(await diskOf('counter'))).toBe(2);

  const vmi = await boot('counted', 2);
  expect(macOf(vmi)).toBe(sourceMac);
  expect(consoleHas(rt, NS, 'counted', `${GuestMarkers.bootCount} dev=vdb serial=none count=3`)).toBe(false);
  await halt('counted');
});

it('a restore to a new VM boots with the snapshot data and a MAC address of its own', async () => {
  restore('copy-of-one', 'counted-copy');
  const done = await completed('copy-of-one');
  expect(readCounterDisk(await diskOf(`restore-${done.metadata.uid}-data`))).toBe(1);
  const vmi = await boot('counted-copy', 2);
  expect(macOf(vmi)).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
  expect(macOf(vmi)).not.toBe(sourceMac);
  await halt('counted-copy');
});

it('a clone boots with the source data, a MAC address of its own and the SMBIOS serial it was given', async () => {
  rt.apply({
    apiVersion: 'clone.kubevirt.io/v1beta1',
    kind: 'VirtualMachineClone',
    metadata: { name: 'counted-twin', namespace: NS },
    spec: {
      source: { apiGroup: 'kubevirt.io', kind: 'VirtualMachine', name: 'counted' },
      target: { apiGroup: 'kubevirt.io', kind: 'VirtualMachine', name: 'twin' },
      newSMBiosSerial: 'twin-serial-0001',
    },
  });
  await rt.waitFor(
    'VirtualMachineClone counted-twin Succeeded',
    () =>
      (rt.get('vmclone', NS, 'counted-twin')?.status as { phase?: string } | undefined)?.phase ===
      'Succeeded',
    240_000,
    () => rt.get('vmclone', NS, 'counted-twin')?.status,
  );
  // The source's disk said 2 when it was cloned (the restored count, booted once): the twin counts 3.
  const vmi = await boot('twin', 3);
  expect(macOf(vmi)).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
  expect(macOf(vmi)).not.toBe(sourceMac);
  expect((vmi.spec as { domain?: { firmware?: { serial?: string } } }).domain?.firmware?.serial).toBe(
    'twin-serial-0001',
  );
  const qemu = rt
    .liveQemus()
    .map((pid) => fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' '))
    .find((cmd) => cmd.includes('twin-serial-0001'));
  expect(qemu).toMatch(/-smbios type=1,serial=twin-serial-0001/);
  await halt('twin');
});

it('a snapshot whose guest freeze fails thaws the guest and fails at its deadline, leaving nothing behind', async () => {
  const vmName = 'unfreezable';
  const snapName = 'unfreezable-online';
  // What the test guest's agent answers guest-fsfreeze-freeze with under virtkit.fsfreeze_fails.
  const freezeError = 'failed to freeze /mnt/data: Input/output error';
  rt.apply({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: `${vmName}-data`, namespace: NS },
    spec: {
      storageClassName: CLASS,
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '16Mi' } },
    },
  });
  await diskOf(`${vmName}-data`);
  rt.apply(
    guestVm(image, {
      namespace: NS,
      name: vmName,
      runStrategy: 'Always',
      dataClaim: `${vmName}-data`,
      userData: '#cloud-config\n# virtkit.fsfreeze_fails\n',
    }),
  );
  const booted = await waitRunning(rt, NS, vmName, GuestMarkers.booted);
  const agentConnected = (): boolean =>
    !!rt
      .get('vmi', NS, vmName)
      ?.status?.conditions?.some((c) => c.type === 'AgentConnected' && c.status === 'True');
  // Without its agent the snapshot would be taken crash-consistent, with no freeze to fail.
  await rt.waitFor(`${vmName}: the guest agent to connect`, agentConnected);

  rt.apply({
    apiVersion: 'snapshot.kubevirt.io/v1beta1',
    kind: 'VirtualMachineSnapshot',
    metadata: { name: snapName, namespace: NS },
    spec: {
      source: { apiGroup: 'kubevirt.io', kind: 'VirtualMachine', name: vmName },
      failureDeadline: '40s',
    },
  });
  type SnapStatus = {
    phase?: string;
    readyToUse?: boolean;
    error?: { message?: string };
    virtualMachineSnapshotContentName?: string;
    indications?: string[];
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
  // Ends Failed, and never gets to be ready or Succeeded on the way.
  const ended = await rt.waitFor(
    `VirtualMachineSnapshot ${snapName} to end`,
    () => {
      const s = rt.get('vmsnapshot', NS, snapName);
      const st = s?.status as SnapStatus | undefined;
      return st && (st.phase === 'Failed' || st.phase === 'Succeeded' || st.readyToUse) ? s : undefined;
    },
    180_000,
    () => rt.get('vmsnapshot', NS, snapName)?.status,
  );
  const status = ended.status as SnapStatus;
  expect(status.phase).toBe('Failed');
  expect(status.readyToUse).toBe(false);
  // The freeze went to the agent (no crash-consistent fallback), and its error is the snapshot's.
  expect(status.indications).toEqual(['GuestAgent', 'Online']);
  expect(status.error?.message).toContain(freezeError);
  expect(status.error?.message).toContain('were thawed again');
  const condition = (type: string) => status.conditions?.find((c) => c.type === type);
  expect(condition('Failure')).toMatchObject({ status: 'True', reason: 'snapshot deadline exceeded' });
  expect(condition('Ready')).toMatchObject({ status: 'False' });
  expect(condition('Progressing')).toMatchObject({ status: 'False', reason: 'In error state' });
  expect(condition('Progressing')?.message).toContain(freezeError);
  const contentName = status.virtualMachineSnapshotContentName ?? `vmsnapshot-content-${ended.metadata.uid}`;
  await rt.waitFor(`a FreezeFailed Event on ${contentName} naming the agent's error`, () =>
    eventsOf(rt, NS, contentName).some(
      (e) => e.type === 'Warning' && e.reason === 'FreezeFailed' && (e.message ?? '').includes(freezeError),
    ),
  );

  // The guest was thawed after every freeze: each "frozen" on its console is followed by "thawed".
  const freezeLog = (): string[] =>
    [
      ...fs
        .readFileSync(rt.serialLog(NS, vmName) ?? '', 'utf8')
        .matchAll(/VIRTKIT-GUEST-FSFREEZE (frozen|thawed)/g),
    ].map((m) => m[1]);
  await rt.waitFor(
    `${vmName}: the console to show the thaw after the last freeze`,
    () => freezeLog().at(-1) === 'thawed',
    30_000,
    () => freezeLog(),
  );
  const events = freezeLog();
  expect(events.length).toBeGreaterThanOrEqual(2);
  expect(events).toEqual(events.map((_, i) => (i % 2 === 0 ? 'frozen' : 'thawed')));

  // The same guest runs on, unfrozen, its agent answering (a frozen one refuses the polls).
  const vmi = rt.get('vmi', NS, vmName);
  expect(vmi?.metadata.uid).toBe(booted.metadata.uid);
  expect(vmi?.status?.phase).toBe('Running');
  expect((vmi?.status as { fsFreezeStatus?: string }).fsFreezeStatus).toBeUndefined();
  expect(agentConnected()).toBe(true);
  const boots = fs.readFileSync(rt.serialLog(NS, vmName) ?? '', 'utf8').split(GuestMarkers.booted).length - 1;
  expect(boots).toBe(1);

  // The VM is let go, and nothing of the snapshot is left that could pass for a good one.
  const vm = await rt.waitFor(
    `${vmName}: the snapshot to let go of it`,
    () => {
      const v = rt.get('vm', NS, vmName) as
        (Obj & { metadata: { finalizers?: string[] }; status?: { snapshotInProgress?: string } }) | undefined;
      return v && !v.status?.snapshotInProgress ? v : undefined;
    },
    60_000,
    () => rt.get('vm', NS, vmName)?.status,
  );
  expect(vm.metadata.finalizers ?? []).not.toContain('snapshot.kubevirt.io/snapshot-source-protection');
  await rt.waitFor(
    `VirtualMachineSnapshotContent ${contentName} to be deleted`,
    () => !rt.get('vmsnapshotcontent', NS, contentName),
    60_000,
  );
  expect(
    rt
      .list('vmsnapshotcontent', NS)
      .filter(
        (c) =>
          (c.spec as { virtualMachineSnapshotName?: string } | undefined)?.virtualMachineSnapshotName ===
          snapName,
      ),
  ).toEqual([]);
  expect(rt.list('volumesnapshot', NS, `snapshot.kubevirt.io/source-vm-name=${vmName}`)).toEqual([]);
  expect(rt.get('volumesnapshot', NS, `vmsnapshot-${ended.metadata.uid}-volume-data`)).toBeUndefined();
  // It stays Failed.
  expect((rt.get('vmsnapshot', NS, snapName)?.status as SnapStatus).phase).toBe('Failed');
  await halt(vmName);
});
