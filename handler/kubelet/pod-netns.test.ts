import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cgroupOfPod, findPodProcess, leftoverCleanup, stepArgv } from './pod-netns';
import type { PlannedBinding } from '../../launcher/plan/types';

const UID = '96d8b279-f6dd-4a44-b487-be8decc2530d';

test("a process is the pod's when a cgroup path names it (cgroupfs and systemd drivers)", () => {
  const cgroupfs = `9:name=systemd:/virtkit-node-1/kubepods/burstable/pod${UID}/29f2f3e98\n8:pids:/kubepods/burstable/pod${UID}/29f2f3e98\n`;
  expect(cgroupOfPod(cgroupfs, UID)).toBe(true);
  const systemd = `0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${UID.replace(/-/g, '_')}.slice/cri-containerd-abc.scope\n`;
  expect(cgroupOfPod(systemd, UID)).toBe(true);
  expect(cgroupOfPod(`0::/kubepods/burstable/pod${UID}x/abc\n`, UID)).toBe(false);
  expect(cgroupOfPod('0::/user.slice/session-1.scope\n', UID)).toBe(false);
});

test("the pod's process is found in /proc; none when no cgroup names the pod", () => {
  const proc = fs.mkdtempSync(path.join(os.tmpdir(), 'proc-'));
  try {
    fs.mkdirSync(path.join(proc, '12'));
    fs.writeFileSync(path.join(proc, '12', 'cgroup'), '0::/system.slice\n');
    fs.mkdirSync(path.join(proc, '345'));
    fs.writeFileSync(path.join(proc, '345', 'cgroup'), `4:pids:/kubepods/pod${UID}/c1\n`);
    fs.mkdirSync(path.join(proc, 'self'));
    expect(findPodProcess(UID, proc)).toBe(345);
    expect(findPodProcess('0b4c8a52-1f9e-4d7a-9b7e-3a1c2d3e4f50', proc)).toBeUndefined();
  } finally {
    fs.rmSync(proc, { recursive: true, force: true });
  }
});

test('every step runs in the pod network namespace through nsenter, never a shell', () => {
  expect(
    stepArgv(345, { kind: 'ip', args: ['link', 'add', 'k6t-eth0', 'type', 'bridge'] }, '/usr/bin/node'),
  ).toEqual({
    argv: ['nsenter', '--net=/proc/345/ns/net', '--', 'ip', 'link', 'add', 'k6t-eth0', 'type', 'bridge'],
  });
  expect(stepArgv(345, { kind: 'nft', ruleset: 'table ip t {}' }, '/usr/bin/node')).toEqual({
    argv: ['nsenter', '--net=/proc/345/ns/net', '--', 'nft', '-f', '-'],
    input: 'table ip t {}',
  });
  expect(
    stepArgv(345, { kind: 'sysctl', path: '/proc/sys/net/ipv4/ip_forward', value: '1' }, '/usr/bin/node')
      .argv,
  ).toEqual([
    'nsenter',
    '--net=/proc/345/ns/net',
    '--',
    '/usr/bin/node',
    '-e',
    'require("fs").writeFileSync(process.argv[1], process.argv[2])',
    '/proc/sys/net/ipv4/ip_forward',
    '1',
  ]);
  expect(() =>
    stepArgv(345, { kind: 'sysctl', path: '/proc/sys/kernel/core_pattern', value: '|x' }, 'node'),
  ).toThrow("sysctl /proc/sys/kernel/core_pattern: not a network sysctl of the pod's namespace");
});

test('a masquerade binding an earlier handler began is cleared first: tap, bridge, NAT table', () => {
  const b = { kind: 'masquerade', tap: 'tap0', bridge: 'k6t-eth0' } as PlannedBinding;
  expect(leftoverCleanup(b)).toEqual([
    { kind: 'ip', args: ['link', 'del', 'dev', 'tap0'] },
    { kind: 'ip', args: ['link', 'del', 'dev', 'k6t-eth0'] },
    { kind: 'nft', ruleset: 'delete table ip virtkit_nat\n' },
  ]);
  expect(leftoverCleanup({ ...b, kind: 'bridge' })).toEqual([]);
});
