/**
 * Guest OS info on the local runtime: the test guest runs a tiny guest agent, so once it
 * answers the handler reports `status.guestOSInfo` and the condition AgentConnected=True on
 * the VMI, as KubeVirt does. A guest without an agent gets neither and runs as usual.
 */
import { ensureGuestImage, GuestMarkers, type GuestImage } from '../fixtures/guest/build';
import { launcherOf, waitRunning } from './runtime-support/expect';
import { guestVm } from './runtime-support/manifests';
import { Runtime, type Obj } from './runtime-support/runtime';

jest.setTimeout(600_000);

const NS = 'rt-agent';
let rt: Runtime;
let image: GuestImage;

beforeAll(async () => {
  image = ensureGuestImage();
  rt = await Runtime.startAll(NS);
}, 600_000);

afterAll(async () => {
  await rt?.stop();
});

function agentCondition(o: Obj | undefined): { status: string } | undefined {
  return o?.status?.conditions?.find((c) => c.type === 'AgentConnected');
}

describe('guest agent on the local runtime', () => {
  it('reports guestOSInfo and AgentConnected=True for a guest whose agent answers', async () => {
    rt.apply(guestVm(image, { namespace: NS, name: 'chatty', runStrategy: 'Always' }));
    await waitRunning(rt, NS, 'chatty', GuestMarkers.booted);
    const vmi = await rt.waitFor(
      'VMI condition AgentConnected=True with guestOSInfo',
      () => {
        const v = rt.get('vmi', NS, 'chatty');
        return agentCondition(v)?.status === 'True' && v?.status?.guestOSInfo ? v : undefined;
      },
      120_000,
      () => rt.get('vmi', NS, 'chatty')?.status,
    );
    const info = vmi.status?.guestOSInfo as Record<string, string>;
    expect(info).toMatchObject({
      id: 'virtkit-test-guest',
      name: 'virtkit test guest',
      prettyName: 'virtkit test guest (busybox)',
      version: '1',
      versionId: '1',
      machine: 'x86_64',
    });
    expect(info.kernelRelease).toMatch(/-cloud-amd64$/);
    expect(info.kernelVersion).toBeTruthy();
    expect(vmi.status?.phase).toBe('Running');
  });

  it('reports no agent for a guest started with virtkit.no_agent', async () => {
    rt.apply(
      guestVm(image, {
        namespace: NS,
        name: 'quiet',
        runStrategy: 'Always',
        userData: '#cloud-config\n# virtkit.no_agent\n',
      }),
    );
    await waitRunning(rt, NS, 'quiet', 'VIRTKIT-GUEST-AGENT disabled');
    const launcher = launcherOf(rt, NS, 'quiet');
    // Wait until the launcher has asked the channel, so "no agent" is an answer, not a default.
    let polled = await launcher.guestInfo();
    for (let i = 0; i < 300 && polled.checkedAt === undefined; i++) {
      await new Promise((r) => setTimeout(r, 200));
      polled = await launcher.guestInfo();
    }
    expect(polled.checkedAt).toBeDefined();
    expect(polled.connected).toBe(false);
    const vmi = rt.get('vmi', NS, 'quiet');
    expect(agentCondition(vmi)).toBeUndefined();
    expect(vmi?.status?.guestOSInfo).toBeUndefined();
  });
});
