import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { QmpClient } from '../qmp/client';
import { startFakeQmp, type FakeQmpServer } from '../qmp/fake-server.test-helper';
import type { LaunchPlan } from '../plan/types';
import { HotplugConflictError, HotplugDisks, HotplugRequestError } from './hotplug';

let dir: string;
let server: FakeQmpServer;
let qmp: QmpClient;
let failDeviceAdd = false;

const plan = (hotplugBus?: string) =>
  ({
    qemuDir: path.join(dir, 'qemu'),
    disks: [{ name: 'root', bus: 'virtio' }],
    ...(hotplugBus ? { hotplugBus } : {}),
  }) as unknown as LaunchPlan;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hotplug-'));
  fs.mkdirSync(path.join(dir, 'qemu'));
  fs.writeFileSync(path.join(dir, 'disk.img'), Buffer.alloc(4096));
  failDeviceAdd = false;
  server = await startFakeQmp((cmd, peer) => {
    if (cmd.execute === 'device_add' && failDeviceAdd) return peer.fail(cmd, 'GenericError', 'no bus');
    peer.reply(cmd);
    if (cmd.execute === 'device_del')
      setTimeout(() => peer.event('DEVICE_DELETED', { device: cmd.arguments?.id }), 20);
  });
  qmp = await QmpClient.connect(server.socketPath);
});

afterEach(async () => {
  qmp.close();
  await server.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const executed = async () =>
  (await server.peer).received.map((c) => c.execute).filter((e) => e !== 'qmp_capabilities');

describe('HotplugDisks (against a scripted QMP peer)', () => {
  it('attaches as sda after the boot disks, lists it, detaches after DEVICE_DELETED', async () => {
    const disks = new HotplugDisks(plan('scsi0.0'), undefined, 'VMI ns/vm');
    const img = path.join(dir, 'disk.img');
    expect(await disks.attach(qmp, { name: 'data', path: img })).toEqual({
      name: 'data',
      target: 'sda',
      hotplugged: true,
    });
    expect(disks.list()).toEqual({
      supported: true,
      disks: [
        { name: 'root', target: 'vda', hotplugged: false },
        { name: 'data', target: 'sda', hotplugged: true },
      ],
    });
    // Attaching again answers what is attached, with no command.
    await disks.attach(qmp, { name: 'data', path: img });
    await disks.detach(qmp, 'data');
    expect(await executed()).toEqual([
      'blockdev-add',
      'blockdev-add',
      'device_add',
      'device_del',
      'blockdev-del',
      'blockdev-del',
    ]);
    expect(disks.list().disks).toHaveLength(1);
  });

  it('takes back the block nodes when device_add fails', async () => {
    failDeviceAdd = true;
    const disks = new HotplugDisks(plan('scsi0.0'), undefined, 'VMI ns/vm');
    await expect(disks.attach(qmp, { name: 'data', path: path.join(dir, 'disk.img') })).rejects.toThrow(
      /no bus/,
    );
    expect(await executed()).toEqual([
      'blockdev-add',
      'blockdev-add',
      'device_add',
      'blockdev-del',
      'blockdev-del',
    ]);
    expect(disks.list().disks).toHaveLength(1);
  });

  it('refuses what it must not do, before any command', async () => {
    const disks = new HotplugDisks(plan('scsi0.0'), undefined, 'VMI ns/vm');
    const link = path.join(dir, 'link.img');
    fs.symlinkSync(path.join(dir, 'disk.img'), link);
    await expect(disks.attach(qmp, { name: 'x', path: link })).rejects.toThrow(HotplugRequestError);
    await expect(disks.attach(qmp, { name: 'x', path: 'relative.img' })).rejects.toThrow(HotplugRequestError);
    await expect(disks.attach(qmp, { name: 'Bad', path: path.join(dir, 'disk.img') })).rejects.toThrow(
      HotplugRequestError,
    );
    await expect(disks.attach(qmp, { name: 'root', path: path.join(dir, 'disk.img') })).rejects.toThrow(
      HotplugConflictError,
    );
    await expect(disks.detach(qmp, 'root')).rejects.toThrow(HotplugConflictError);
    const off = new HotplugDisks(plan(), undefined, 'VMI ns/vm');
    await expect(off.attach(qmp, { name: 'x', path: path.join(dir, 'disk.img') })).rejects.toThrow(
      /disableHotplug/,
    );
    expect(await executed()).toEqual([]);
  });
});
