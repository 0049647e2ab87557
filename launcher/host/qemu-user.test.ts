import { confinedCommand, parseQemuUser, qemuIdentity, QemuUserError, QEMU_GID, QEMU_UID } from './qemu-user';

describe('qemuIdentity', () => {
  it("gives a root launcher's QEMU KubeVirt's qemu user, and leaves others as they are", () => {
    const id = qemuIdentity(0, {});
    expect(id).toMatchObject({ uid: QEMU_UID, gid: QEMU_GID });
    expect(id!.groups).not.toContain(0);
    expect(qemuIdentity(1000, {})).toBeUndefined();
  });

  it('takes VIRTKIT_QEMU_USER and refuses root or junk', () => {
    expect(qemuIdentity(0, { VIRTKIT_QEMU_USER: '2000:3000' })).toMatchObject({ uid: 2000, gid: 3000 });
    for (const bad of ['0:0', '107', 'qemu:qemu', '107:107,x', '-1:5'])
      expect(() => parseQemuUser(bad)).toThrow(QemuUserError);
    expect(() => parseQemuUser('0:107')).toThrow(/non-root uid:gid such as 107:107/);
  });
});

describe('confinedCommand', () => {
  it('drops to the user with no capabilities, no_new_privs and a death signal', () => {
    const [cmd, argv] = confinedCommand('/usr/bin/qemu', ['-name', 'x'], { uid: 107, gid: 107, groups: [] });
    expect(cmd).toBe('/usr/bin/setpriv');
    expect(argv).toEqual([
      '--reuid=107',
      '--regid=107',
      '--clear-groups',
      '--inh-caps=-all',
      '--ambient-caps=-all',
      '--bounding-set=-all',
      '--no-new-privs',
      '--pdeathsig=KILL',
      '--',
      '/usr/bin/qemu',
      '-name',
      'x',
    ]);
    expect(confinedCommand('/q', [], { uid: 107, gid: 107, groups: [108] })[1]).toContain('--groups=108');
  });

  it('keeps no_new_privs for a launcher that is not root', () => {
    expect(confinedCommand('/q', ['-S'], undefined)[1]).toEqual([
      '--no-new-privs',
      '--pdeathsig=KILL',
      '--',
      '/q',
      '-S',
    ]);
  });

  it('refuses to start QEMU as root when setpriv is missing', () => {
    expect(() =>
      confinedCommand('/q', [], { uid: 107, gid: 107, groups: [] }, '/nonexistent/setpriv'),
    ).toThrow(/needed to start QEMU as uid 107/);
    expect(confinedCommand('/q', ['-S'], undefined, '/nonexistent/setpriv')).toEqual(['/q', ['-S']]);
  });
});
