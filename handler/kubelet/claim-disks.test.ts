/**
 * Claims on a kubelet node, with a fake client that answers getIfExists and real files: the
 * handler gives a local volume and its disk.img to the launcher's uid, makes a missing disk.img
 * sparse at the claim's size, keeps an existing one's data, and refuses (naming the volume, the
 * claim and the fix) a Block volume, a volume outside the node's local volumes, and a disk.img
 * that is a link — touching nothing outside the volume.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { KubeClient } from '../../kube';
import { prepareClaimDisks } from './claim-disks';

const OWNER = { uid: 107, gid: 107 };

function fakeClient(objects: Record<string, unknown>): KubeClient {
  return {
    getIfExists: async (rt: { plural: string }, _ns: string, name: string) => objects[`${rt.plural}/${name}`],
  } as unknown as KubeClient;
}

describe('prepareClaimDisks', () => {
  let root: string;
  let volumes: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'virtkit-claims-'));
    volumes = path.join(root, 'volumes');
    fs.mkdirSync(path.join(volumes, 'pvc-1'), { recursive: true, mode: 0o700 });
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const bound = (pvPath: string, extra: Record<string, unknown> = {}) =>
    fakeClient({
      'persistentvolumeclaims/data': {
        metadata: { name: 'data', namespace: 'vms' },
        spec: { volumeName: 'pv-1', resources: { requests: { storage: '16Mi' } }, ...extra },
        status: { phase: 'Bound' },
      },
      'persistentvolumes/pv-1': { metadata: { name: 'pv-1' }, spec: { local: { path: pvPath } } },
    });

  it("makes a sparse disk.img at the claim's size and gives it and its directory to the launcher", async () => {
    const out = await prepareClaimDisks(
      bound(path.join(volumes, 'pvc-1')),
      'vms',
      [{ volume: 'disk1', claimName: 'data' }],
      volumes,
      OWNER,
    );
    expect(out).toEqual({
      disk1: { path: '/var/run/kubevirt-private/vmi-disks/disk1/disk.img', format: 'raw' },
    });
    const dir = fs.statSync(path.join(volumes, 'pvc-1'));
    expect([dir.uid, dir.gid, dir.mode & 0o777]).toEqual([107, 107, 0o750]);
    const disk = fs.statSync(path.join(volumes, 'pvc-1', 'disk.img'));
    expect([disk.uid, disk.gid, disk.mode & 0o777, disk.size]).toEqual([107, 107, 0o660, 16 * 1024 * 1024]);
    // Sparse: no data blocks were written.
    expect(disk.blocks).toBeLessThan(64);
  });

  it('keeps the data of a disk.img that is there', async () => {
    const file = path.join(volumes, 'pvc-1', 'disk.img');
    fs.writeFileSync(file, 'VIRTKIT-COUNTER:0000000007\n');
    await prepareClaimDisks(
      bound(path.join(volumes, 'pvc-1')),
      'vms',
      [{ volume: 'd', claimName: 'data' }],
      volumes,
      OWNER,
    );
    expect(fs.readFileSync(file, 'utf8')).toBe('VIRTKIT-COUNTER:0000000007\n');
    expect(fs.statSync(file).uid).toBe(107);
  });

  it('refuses a Block claim, naming it and the fix', async () => {
    await expect(
      prepareClaimDisks(
        bound(path.join(volumes, 'pvc-1'), { volumeMode: 'Block' }),
        'vms',
        [{ volume: 'd', claimName: 'data' }],
        volumes,
        OWNER,
      ),
    ).rejects.toThrow(
      'volume d: PersistentVolume pv-1 of PersistentVolumeClaim vms/data is a Block volume, which virtkit does not run on kubelet nodes yet (issue 17); use volumeMode Filesystem',
    );
  });

  it("refuses a volume outside the node's local volumes, and one that leaves them through a link, touching neither", async () => {
    const elsewhere = path.join(root, 'elsewhere');
    fs.mkdirSync(elsewhere, { mode: 0o700 });
    await expect(
      prepareClaimDisks(bound(elsewhere), 'vms', [{ volume: 'd', claimName: 'data' }], volumes, OWNER),
    ).rejects.toThrow(`is at ${elsewhere}, outside this node's local volumes (${volumes})`);
    fs.symlinkSync(elsewhere, path.join(volumes, 'pvc-link'));
    await expect(
      prepareClaimDisks(
        bound(path.join(volumes, 'pvc-link')),
        'vms',
        [{ volume: 'd', claimName: 'data' }],
        volumes,
        OWNER,
      ),
    ).rejects.toThrow("outside this node's local volumes");
    expect(fs.readdirSync(elsewhere)).toEqual([]);
    expect(fs.statSync(elsewhere).uid).toBe(process.getuid?.());
  });

  it('refuses a disk.img that is a symlink or a hard link, and leaves its target alone', async () => {
    const secret = path.join(root, 'secret');
    fs.writeFileSync(secret, 'not for the guest', { mode: 0o600 });
    const file = path.join(volumes, 'pvc-1', 'disk.img');
    fs.symlinkSync(secret, file);
    const run = () =>
      prepareClaimDisks(
        bound(path.join(volumes, 'pvc-1')),
        'vms',
        [{ volume: 'd', claimName: 'data' }],
        volumes,
        OWNER,
      );
    await expect(run()).rejects.toThrow("a volume's disk.img must be a regular file, not a link");
    fs.rmSync(file);
    fs.linkSync(secret, file);
    await expect(run()).rejects.toThrow('is not a regular file with one link');
    const st = fs.statSync(secret);
    expect([st.uid, st.mode & 0o777]).toEqual([process.getuid?.(), 0o600]);
  });

  it('says when the claim is missing or not bound yet', async () => {
    await expect(
      prepareClaimDisks(fakeClient({}), 'vms', [{ volume: 'd', claimName: 'data' }], volumes, OWNER),
    ).rejects.toThrow('volume d: PersistentVolumeClaim vms/data does not exist; create it');
    await expect(
      prepareClaimDisks(
        fakeClient({
          'persistentvolumeclaims/data': { metadata: { name: 'data', namespace: 'vms' }, spec: {} },
        }),
        'vms',
        [{ volume: 'd', claimName: 'data' }],
        volumes,
        OWNER,
      ),
    ).rejects.toThrow('is not bound to a PersistentVolume yet');
  });
});
