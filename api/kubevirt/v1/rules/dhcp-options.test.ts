import { checkVmiSpec } from './index';
import { checkDhcpOptions, ntpServerIpv4 } from './dhcp-options';

const spec = (dhcpOptions: unknown) => ({
  domain: {
    memory: { guest: '128Mi' },
    devices: {
      interfaces: [
        { name: 'default', masquerade: {} },
        { name: 'lan', bridge: {}, dhcpOptions },
      ],
    },
  },
  networks: [
    { name: 'default', pod: {} },
    { name: 'lan', multus: { networkName: 'lan' } },
  ],
});

const AT = 'spec.domain.devices.interfaces[1].dhcpOptions';

describe("KubeVirt's dhcpOptions admission rules", () => {
  it('accepts what the KubeVirt user guide writes', () => {
    const good = spec({
      bootFileName: 'pxelinux.0',
      tftpServerName: 'tftp.example.com',
      ntpServers: ['192.0.2.1', '::ffff:192.0.2.2'],
      privateOptions: [
        { option: 224, value: 'first' },
        { option: 254, value: '' },
      ],
    });
    expect(checkDhcpOptions(good, 'spec')).toEqual([]);
    expect(checkVmiSpec(good, 'spec').filter((i) => i.path.includes('dhcpOptions'))).toEqual([]);
  });

  it("refuses private options out of range or repeated, with KubeVirt's words and the field", () => {
    const issues = checkVmiSpec(
      spec({
        privateOptions: [
          { option: 240, value: 'a' },
          { option: 223, value: 'b' },
          { option: 255, value: 'c' },
          { option: 240, value: 'd' },
        ],
      }),
      'spec',
    ).filter((i) => i.path.includes('dhcpOptions'));
    expect(issues.map((i) => [i.path, i.rule])).toEqual([
      [`${AT}.privateOptions[1].option`, 'vmi.dhcp-private-option-range'],
      [`${AT}.privateOptions[2].option`, 'vmi.dhcp-private-option-range'],
      [`${AT}.privateOptions[3].option`, 'vmi.dhcp-private-option-duplicate'],
    ]);
    expect(issues[0].message).toBe(
      `provided DHCPPrivateOptions are out of range, must be in range 224 to 254; ${AT}.privateOptions[1].option is 223`,
    );
    expect(issues[2].message).toMatch(
      /^Found Duplicates: you have provided duplicate DHCPPrivateOptions; option 240 is also .*privateOptions\[0\]\.option: give each code once$/,
    );
  });

  it('refuses NTP servers that are not IPv4 addresses, as KubeVirt does', () => {
    const issues = checkDhcpOptions(
      spec({ ntpServers: ['192.0.2.1', 'pool.ntp.org', '2001:db8::1', '010.0.0.1', 7] }),
      'spec',
    );
    expect(issues.map((i) => i.path)).toEqual([
      `${AT}.ntpServers[1]`,
      `${AT}.ntpServers[2]`,
      `${AT}.ntpServers[3]`,
      `${AT}.ntpServers[4]`,
    ]);
    expect(issues[0].message).toBe(
      `NTP servers must be a list of valid IPv4 addresses. ${AT}.ntpServers[1] is "pool.ntp.org"; write an address such as 192.0.2.1`,
    );
    expect(new Set(issues.map((i) => i.rule))).toEqual(new Set(['vmi.dhcp-ntp-servers']));
  });

  it('bounds every value by what one DHCP option carries (255 bytes; 63 NTP servers)', () => {
    const issues = checkDhcpOptions(
      spec({
        bootFileName: 'b'.repeat(255),
        tftpServerName: 'é'.repeat(128),
        ntpServers: Array(64).fill('192.0.2.1'),
        privateOptions: [{ option: 230, value: 'v'.repeat(256) }],
      }),
      'spec',
    );
    expect(issues.map((i) => [i.path, i.rule])).toEqual([
      [`${AT}.tftpServerName`, 'vmi.dhcp-option-length'],
      [`${AT}.ntpServers`, 'vmi.dhcp-option-length'],
      [`${AT}.privateOptions[0].value`, 'vmi.dhcp-option-length'],
    ]);
    expect(issues[0].message).toBe(
      `${AT}.tftpServerName is 256 bytes long; a DHCP option carries at most 255 bytes, so shorten it`,
    );
    expect(issues[1].message).toMatch(/lists 64 servers; DHCP option 42 holds at most 63, so list fewer/);
  });

  it('ntpServerIpv4 reads dotted quads and IPv4-mapped IPv6 addresses, nothing else', () => {
    expect(ntpServerIpv4('10.0.0.1')).toBe('10.0.0.1');
    expect(ntpServerIpv4('::ffff:10.0.0.1')).toBe('10.0.0.1');
    expect(ntpServerIpv4('::FFFF:a00:1')).toBe('10.0.0.1');
    for (const bad of [
      '',
      'ntp',
      '10.0.0',
      '10.0.0.256',
      '01.0.0.1',
      '::1',
      '2001:db8::1',
      '[::ffff:1.2.3.4]',
    ])
      expect(ntpServerIpv4(bad)).toBeUndefined();
  });
});
