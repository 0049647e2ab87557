import type { ConditionLike } from '../../kube';
import { AGENT_CONNECTED, toGuestOsInfoStatus, withGuestAgent } from './guest-agent';

const now = new Date('2024-01-01T00:00:00Z');
const base = {
  phase: 'Running',
  conditions: [{ type: 'Ready', status: 'True' }] as ConditionLike[],
};
const agent = {
  connected: true,
  osInfo: {
    id: 'debian',
    name: 'Debian GNU/Linux',
    prettyName: 'Debian GNU/Linux 12 (bookworm)',
    version: '12 (bookworm)',
    versionId: '12',
    variant: 'cloud',
    kernelRelease: '6.1.0-28-cloud-amd64',
    kernelVersion: '#1 SMP',
    machine: 'x86_64',
  },
  hostname: 'vm-1',
};

describe('guest agent part of the VMI status', () => {
  it('a connected agent sets AgentConnected=True and guestOSInfo with KubeVirt field names only', () => {
    const s = withGuestAgent({}, base, agent, now);
    expect(s.conditions).toEqual([
      { type: 'Ready', status: 'True' },
      {
        type: AGENT_CONNECTED,
        status: 'True',
        lastProbeTime: null,
        lastTransitionTime: '2024-01-01T00:00:00Z',
      },
    ]);
    expect(s.guestOSInfo).toEqual({
      id: 'debian',
      name: 'Debian GNU/Linux',
      prettyName: 'Debian GNU/Linux 12 (bookworm)',
      version: '12 (bookworm)',
      versionId: '12',
      kernelRelease: '6.1.0-28-cloud-amd64',
      kernelVersion: '#1 SMP',
      machine: 'x86_64',
    });
    expect(s.phase).toBe('Running');
  });

  it('keeps the transition time of an agent that stays connected', () => {
    const earlier = {
      type: AGENT_CONNECTED,
      status: 'True' as const,
      lastProbeTime: null,
      lastTransitionTime: '2023-12-31T00:00:00Z',
    };
    const s = withGuestAgent({}, { conditions: [...base.conditions, earlier] }, agent, now);
    expect(s.conditions.find((c) => c.type === AGENT_CONNECTED)?.lastTransitionTime).toBe(
      '2023-12-31T00:00:00Z',
    );
  });

  it('an agent that went away loses the condition; the last OS info stays', () => {
    const connected = withGuestAgent({}, base, agent, now);
    const s = withGuestAgent(
      { guestOSInfo: connected.guestOSInfo },
      { conditions: connected.conditions },
      { connected: false },
      now,
    );
    expect(s.conditions.map((c) => c.type)).toEqual(['Ready']);
    expect(s.guestOSInfo?.prettyName).toBe('Debian GNU/Linux 12 (bookworm)');
  });

  it('no agent ever: no condition and no guestOSInfo', () => {
    const s = withGuestAgent({}, base, undefined, now);
    expect(s.conditions).toEqual(base.conditions);
    expect('guestOSInfo' in s).toBe(false);
  });

  it('drops non-string and unknown members', () => {
    expect(toGuestOsInfoStatus({ id: 'x', machine: 7, variantId: 'server', name: '' })).toEqual({ id: 'x' });
  });
});
