import {
  ENTRYPOINT,
  FORBIDDEN_PROGRAMS,
  IMAGE_NAMES,
  RECIPES,
  imageConfigArgs,
  imageRef,
  imageTag,
  packageListText,
  parseSimulatedInstall,
  userEntries,
} from './recipes';

const labels = {
  version: '0.1.0',
  inputHash: 'ab'.repeat(32),
  nodeVersion: 'v20.20.2',
  packagesSha256: 'cd'.repeat(32),
};

/** The values of every `--flag value` pair of umoci config's arguments. */
function values(args: string[], flag: string): string[] {
  return args.flatMap((a, i) => (a === flag ? [args[i + 1]!] : []));
}

describe('the image recipes', () => {
  test('two images, each with a non-root user of its own', () => {
    expect(IMAGE_NAMES).toEqual(['virtkit', 'virtkit-launcher']);
    expect(RECIPES.virtkit.user).toMatchObject({ name: 'virtkit', uid: 65532, gid: 65532 });
    // KubeVirt's qemu user, as the launcher's QEMU runs (launcher/host/qemu-user.ts).
    expect(RECIPES['virtkit-launcher'].user).toMatchObject({ name: 'qemu', uid: 107, gid: 107 });
  });

  test('the launcher gets QEMU, its firmware and the tools it execs; the other image gets the handler and importer tools', () => {
    const launcher = RECIPES['virtkit-launcher'].packages;
    expect(launcher).toEqual(
      expect.arrayContaining([
        'qemu-system-x86',
        'qemu-utils',
        'ovmf',
        'genisoimage',
        'iproute2',
        'nftables',
        'libstdc++6',
      ]),
    );
    expect(launcher).not.toContain('containernetworking-plugins');
    const virtkit = RECIPES.virtkit.packages;
    expect(virtkit).toEqual(
      expect.arrayContaining([
        'containernetworking-plugins',
        'iptables',
        'iproute2',
        'qemu-utils',
        'xz-utils',
        'openssl',
      ]),
    );
    expect(virtkit).not.toContain('qemu-system-x86');
    for (const r of Object.values(RECIPES)) {
      expect(new Set(r.packages).size).toBe(r.packages.length);
      // No package that would bring a compiler, apt or Node.js's package managers.
      for (const p of ['apt', 'gcc', 'build-essential', 'make', 'binutils', 'npm', 'nodejs'])
        expect(r.packages).not.toContain(p);
    }
  });

  test('the forbidden programs cover compilers, linkers and package managers', () => {
    expect(FORBIDDEN_PROGRAMS).toEqual(
      expect.arrayContaining([
        'gcc',
        'cc',
        'g++',
        'make',
        'go',
        'as',
        'ld',
        'apt',
        'apt-get',
        'npm',
        'npx',
        'corepack',
      ]),
    );
  });

  test('image config: the declared user, the virtkit entrypoint, a fixed date and no history', () => {
    for (const r of Object.values(RECIPES)) {
      const args = imageConfigArgs(r, labels);
      expect(values(args, '--config.user')).toEqual([`${r.user.uid}:${r.user.gid}`]);
      expect(values(args, '--config.user')[0]).not.toMatch(/^0:|^root/);
      expect(values(args, '--config.entrypoint')).toEqual([ENTRYPOINT]);
      expect(values(args, '--created')).toEqual(['1970-01-01T00:00:00Z']);
      expect(args).toContain('--no-history');
      expect(values(args, '--config.env')).toEqual(
        expect.arrayContaining([
          `HOME=${r.user.home}`,
          'NODE_ENV=production',
          expect.stringMatching(/^PATH=.*\/usr\/bin/),
        ]),
      );
      expect(values(args, '--config.label')).toEqual(
        expect.arrayContaining([
          `org.opencontainers.image.title=${r.name}`,
          'org.opencontainers.image.version=0.1.0',
          `io.virtkit.image.inputs=${labels.inputHash}`,
          'io.virtkit.image.nodejs=v20.20.2',
          `io.virtkit.image.debian-packages=/usr/share/virtkit/debian-packages.txt sha256:${labels.packagesSha256}`,
        ]),
      );
    }
  });

  test('refs and tags: the package version and the input hash', () => {
    expect(imageTag('0.1.0', '0123456789abcdef0123')).toBe('0.1.0-0123456789ab');
    expect(imageRef('virtkit-launcher', '0.1.0-0123456789ab')).toBe(
      'virtkit.local/virtkit-launcher:0.1.0-0123456789ab',
    );
  });

  test("the user's passwd, group and shadow lines: no password, no login shell", () => {
    expect(userEntries(RECIPES['virtkit-launcher'].user)).toEqual({
      passwd: 'qemu:x:107:107::/home/qemu:/usr/sbin/nologin',
      group: 'qemu:x:107:',
      shadow: 'qemu:!:0::::::',
    });
  });
});

describe('the Debian package list', () => {
  test("apt's simulated Inst lines give name and version, upgrades included", () => {
    const out = [
      'I: simulate installing remaining packages inside the chroot...',
      'Inst libc6 (2.36-9+deb12u14 Debian:12.15/oldstable [amd64]) []',
      'Inst qemu-system-x86 (1:7.2+dfsg-7+deb12u18+b3 Debian:12.15/oldstable [amd64])',
      'Inst base-files [12.4+deb12u14] (12.4+deb12u15 Debian:12.15/oldstable [amd64])',
      'Conf libc6 (2.36-9+deb12u14 Debian:12.15/oldstable [amd64])',
    ].join('\n');
    expect([...parseSimulatedInstall(out)]).toEqual([
      ['libc6', '2.36-9+deb12u14'],
      ['qemu-system-x86', '1:7.2+dfsg-7+deb12u18+b3'],
      ['base-files', '12.4+deb12u15'],
    ]);
  });

  test('the recorded list is sorted by name, one name=version a line', () => {
    const list = packageListText(
      new Map([
        ['zlib1g', '1:1.2.13'],
        ['libc6', '2.36'],
        ['libc-bin', '2.36'],
      ]),
    );
    expect(list).toBe('libc-bin=2.36\nlibc6=2.36\nzlib1g=1:1.2.13\n');
  });
});
