import { launcherArgv } from './launcher-process';
import { sandboxFailure, sandboxRetryMs } from './sandbox';

describe('a pod sandbox that could not be made', () => {
  it("is reported in kubelet's words", () => {
    expect(sandboxFailure('pod ns/p: CNI ADD of network "virtkit": plugin "bridge" failed')).toEqual({
      waitingReason: 'ContainerCreating',
      eventReason: 'FailedCreatePodSandBox',
      reason: 'FailedCreatePodSandBox',
      message: 'Failed to create pod sandbox: pod ns/p: CNI ADD of network "virtkit": plugin "bridge" failed',
    });
  });

  it("carries the cause's own reason for the pod's condition (and so the VMI's)", () => {
    expect(
      sandboxFailure('pod ns/p: NAD "x" not found', 'NetworkAttachmentDefinitionNotFound'),
    ).toMatchObject({
      waitingReason: 'ContainerCreating',
      eventReason: 'FailedCreatePodSandBox',
      reason: 'NetworkAttachmentDefinitionNotFound',
    });
  });

  it('is tried again after 1 s, doubling up to 30 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 100].map(sandboxRetryMs)).toEqual([
      1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000,
    ]);
    expect(sandboxRetryMs(0)).toBe(1000);
  });
});

describe('the launcher command', () => {
  const cmd = { program: '/usr/bin/node', args: ['/repo/bin/virtkit.js'] };
  it('joins the pod network namespace with nsenter, which execs the launcher in place', () => {
    expect(launcherArgv(cmd, ['--workdir', '/p/w'], '/run/netns/vk-1-2')).toEqual({
      program: 'nsenter',
      args: [
        '--net=/run/netns/vk-1-2',
        '--',
        '/usr/bin/node',
        '/repo/bin/virtkit.js',
        'launcher',
        '--workdir',
        '/p/w',
      ],
    });
  });
  it("runs in the host's network without a namespace", () => {
    expect(launcherArgv(cmd, ['--x'])).toEqual({
      program: '/usr/bin/node',
      args: ['/repo/bin/virtkit.js', 'launcher', '--x'],
    });
  });
});
