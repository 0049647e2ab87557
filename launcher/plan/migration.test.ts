import type { MigrationOptions } from '../api/protocol';
import { buildLaunchPlan, type PlannableVmi } from './build';
import {
  endMirror,
  exportCommand,
  migrationUri,
  mirrorCommands,
  mirroredDisks,
  mirrorIds,
  nbdServerStart,
  sourceCapabilities,
  sourceParameters,
  targetCapabilities,
  yankNode,
} from './migration';
import type { LaunchContext } from './types';

const ctx: LaunchContext = {
  workDir: '/run/vm',
  accelerator: 'tcg',
  featureGates: ['LocalContainerDisk', 'HostDisk'],
  firmware: {},
  exists: (p) => ['/images/guest.img', '/pvc/data.img', '/host/disk.img', '/pvc/base.img'].includes(p),
  volumes: {
    data: { path: '/pvc/data.img' },
    dv: { path: '/pvc/data.img' },
    scratchpvc: { path: '/pvc/base.img' },
  },
  volumeDirs: { config: '/handler/config' },
};

/** A VMI with one volume of every source the launcher knows. */
const vmi: PlannableVmi = {
  metadata: { name: 'web', namespace: 'prod' },
  spec: {
    domain: {
      resources: { requests: { memory: '1Gi' } },
      devices: {
        disks: [
          { name: 'root', disk: { bus: 'virtio' } },
          { name: 'ro-image', disk: { bus: 'virtio', readonly: true } },
          { name: 'image-cd', cdrom: { bus: 'sata' } },
          { name: 'scratch', disk: { bus: 'virtio' } },
          { name: 'overlay', disk: { bus: 'scsi' } },
          { name: 'data', disk: { bus: 'virtio' } },
          { name: 'dv', disk: { bus: 'virtio' } },
          { name: 'host', disk: { bus: 'virtio' } },
          { name: 'cloudinit', disk: { bus: 'virtio' } },
          { name: 'config', disk: { bus: 'virtio' } },
        ],
      },
    },
    volumes: [
      { name: 'root', containerDisk: { image: '/images/guest.img' } },
      { name: 'ro-image', containerDisk: { image: '/images/guest.img' } },
      { name: 'image-cd', containerDisk: { image: '/images/guest.img' } },
      { name: 'scratch', emptyDisk: { capacity: '1Gi' } },
      { name: 'overlay', ephemeral: { persistentVolumeClaim: { claimName: 'base' } } },
      { name: 'data', persistentVolumeClaim: { claimName: 'data' } },
      { name: 'dv', dataVolume: { name: 'dv' } },
      { name: 'host', hostDisk: { path: '/host/disk.img', type: 'Disk' } },
      { name: 'cloudinit', cloudInitNoCloud: { userData: '#cloud-config\n' } },
      { name: 'config', configMap: { name: 'settings' } },
    ],
  },
};

const options: MigrationOptions = {
  bandwidthBytesPerSecond: 64 * 2 ** 20,
  allowAutoConverge: true,
  allowPostCopy: false,
  completionTimeoutPerGiB: 150,
  progressTimeoutSeconds: 150,
  maxDowntimeMs: 300,
};

describe('which disks a live migration copies', () => {
  it('mirrors the writable disks on files the launcher made: containerDisk and ephemeral overlays, emptyDisks', () => {
    const plan = buildLaunchPlan(vmi, {
      ...ctx,
      volumes: { ...ctx.volumes, overlay: { path: '/pvc/base.img' } },
    });
    expect(mirroredDisks(plan.disks).map((d) => d.name)).toEqual(['root', 'scratch', 'overlay']);
  });

  it('leaves claims and host disks (shared storage), read-only images, CD-ROMs and generated ISOs alone', () => {
    const plan = buildLaunchPlan(vmi, {
      ...ctx,
      volumes: { ...ctx.volumes, overlay: { path: '/pvc/base.img' } },
    });
    const mirrored = new Set(mirroredDisks(plan.disks).map((d) => d.name));
    for (const name of ['ro-image', 'image-cd', 'data', 'dv', 'host', 'cloudinit', 'config'])
      expect(mirrored.has(name)).toBe(false);
  });

  it('names exports after the disk alone, so source and target agree; long names get a stable short node name', () => {
    expect(mirrorIds({ name: 'root', driveId: 'drive-root' })).toEqual({
      name: 'root',
      driveId: 'drive-root',
      exportName: 'migration-root',
      nbdNode: 'mig-root',
      jobId: 'mig-root',
    });
    const long = 'a-volume-name-that-is-much-longer-than-qemu-allows';
    const ids = mirrorIds({ name: long, driveId: `drive-${long}` });
    expect(ids.exportName).toBe(`migration-${long}`);
    expect(ids.nbdNode.length).toBeLessThanOrEqual(31);
    expect(ids.nbdNode).toMatch(/^mig-[0-9a-f]{24}$/);
    expect(mirrorIds({ name: long, driveId: 'x' }).nbdNode).toBe(ids.nbdNode);
  });
});

describe('migration commands', () => {
  it('source capabilities: every managed one stated, pause-before-switchover only with mirrors', () => {
    expect(sourceCapabilities(options, true)).toEqual({
      execute: 'migrate-set-capabilities',
      arguments: {
        capabilities: [
          { capability: 'events', state: true },
          { capability: 'auto-converge', state: true },
          { capability: 'postcopy-ram', state: false },
          { capability: 'pause-before-switchover', state: true },
        ],
      },
    });
    const caps = sourceCapabilities({ ...options, allowAutoConverge: false, allowPostCopy: true }, false)
      .arguments.capabilities as { capability: string; state: boolean }[];
    expect(Object.fromEntries(caps.map((c) => [c.capability, c.state]))).toEqual({
      events: true,
      'auto-converge': false,
      'postcopy-ram': true,
      'pause-before-switchover': false,
    });
  });

  it('target capabilities match the source post-copy setting', () => {
    expect(targetCapabilities(true).arguments).toEqual({
      capabilities: [
        { capability: 'events', state: true },
        { capability: 'postcopy-ram', state: true },
      ],
    });
    expect(targetCapabilities(false).arguments.capabilities).toContainEqual({
      capability: 'postcopy-ram',
      state: false,
    });
  });

  it('parameters: bandwidth (0 is no limit) and the downtime QEMU aims for', () => {
    expect(sourceParameters(options)).toEqual({
      execute: 'migrate-set-parameters',
      arguments: { 'max-bandwidth': 64 * 2 ** 20, 'downtime-limit': 300 },
    });
    expect(sourceParameters({ ...options, bandwidthBytesPerSecond: 0 }).arguments['max-bandwidth']).toBe(0);
  });

  it('URIs and NBD addresses for IPv4 and IPv6 literals', () => {
    expect(migrationUri('10.244.1.7', 49152)).toBe('tcp:10.244.1.7:49152');
    expect(migrationUri('fd00::7', 49152)).toBe('tcp:[fd00::7]:49152');
    expect(() => migrationUri('node-1.example', 49152)).toThrow(/not an IP literal/);
    expect(nbdServerStart('10.244.1.7', 49153)).toEqual({
      execute: 'nbd-server-start',
      arguments: { addr: { type: 'inet', data: { host: '10.244.1.7', port: '49153' } } },
    });
  });

  it('exports, mirrors, their end and the yank of a connection', () => {
    const disk = mirrorIds({ name: 'root', driveId: 'drive-root' });
    expect(exportCommand(disk, '#block123')).toEqual({
      execute: 'block-export-add',
      arguments: {
        type: 'nbd',
        id: 'migration-root',
        'node-name': '#block123',
        name: 'migration-root',
        writable: true,
      },
    });
    expect(mirrorCommands(disk, { address: 'fd00::7', port: 49153 })).toEqual([
      {
        execute: 'blockdev-add',
        arguments: {
          driver: 'nbd',
          'node-name': 'mig-root',
          server: { type: 'inet', host: 'fd00::7', port: '49153' },
          export: 'migration-root',
        },
      },
      {
        execute: 'blockdev-mirror',
        arguments: { 'job-id': 'mig-root', device: 'drive-root', target: 'mig-root', sync: 'top' },
      },
    ]);
    expect(endMirror(disk, false)).toEqual({
      execute: 'block-job-cancel',
      arguments: { device: 'mig-root' },
    });
    expect(endMirror(disk, true).arguments).toEqual({ device: 'mig-root', force: true });
    expect(yankNode('mig-root')).toEqual({
      execute: 'yank',
      arguments: { instances: [{ type: 'block-node', 'node-name': 'mig-root' }] },
    });
  });
});
