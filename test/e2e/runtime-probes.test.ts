/**
 * Readiness and liveness probes on the local runtime, against the test guest's own services
 * (busybox httpd on port 80 with /healthz, the echo service on 7777, the guest agent): the
 * handler probes as kubelet does, the launcher pod's Ready and the VMI's Ready follow the
 * readiness probe, failed runs are `Unhealthy` Events on the pod, and a failed liveness probe
 * stops the guest (the VM, runStrategy Always, then starts a new one).
 */
import { ensureGuestImage, GuestMarkers, type GuestImage } from '../fixtures/guest/build';
import { consoleHas, isReady, podsOf, waitRunning, eventsOf } from './runtime-support/expect';
import { guestVm } from './runtime-support/manifests';
import { Runtime, type Obj } from './runtime-support/runtime';

jest.setTimeout(600_000);

const NS = 'rt-probes';
let rt: Runtime;
let image: GuestImage;

function probedVm(name: string, probes: Record<string, unknown>): Record<string, unknown> {
  const vm = guestVm(image, { namespace: NS, name, runStrategy: 'Always' }) as {
    spec: { template: { spec: Record<string, unknown> } };
  };
  Object.assign(vm.spec.template.spec, probes);
  return vm;
}

const readyCondition = (o: Obj | undefined) => o?.status?.conditions?.find((c) => c.type === 'Ready');

const events = (involved: string) => eventsOf(rt, NS, involved);

beforeAll(async () => {
  image = ensureGuestImage();
  rt = await Runtime.startAll(NS);
}, 600_000);

afterAll(async () => {
  await rt?.stop();
});

it("an httpGet readinessProbe on the guest's /healthz: the VMI and its launcher pod are Ready once it answers", async () => {
  rt.apply(
    probedVm('web', { readinessProbe: { httpGet: { port: 80, path: '/healthz' }, periodSeconds: 2 } }),
  );
  const vmi = await waitRunning(rt, NS, 'web', GuestMarkers.httpService);
  const pod = podsOf(rt, NS, vmi.metadata.uid)[0];
  expect(isReady(pod)).toBe(true);
  expect(isReady(rt.get('vmi', NS, 'web'))).toBe(true);
});

it('a guest-agent ping readinessProbe: Ready once the agent answers', async () => {
  rt.apply(probedVm('agent', { readinessProbe: { guestAgentPing: {}, periodSeconds: 2 } }));
  await waitRunning(rt, NS, 'agent', GuestMarkers.booted);
  expect(isReady(rt.get('vmi', NS, 'agent'))).toBe(true);
});

it('a readinessProbe nothing answers: Running but not Ready, the pod not Ready, Unhealthy Events with the reason', async () => {
  rt.apply(
    probedVm('deaf', {
      readinessProbe: { httpGet: { port: 80, path: '/missing' }, periodSeconds: 2, failureThreshold: 1 },
    }),
  );
  const vmi = await rt.waitFor(
    'deaf Running',
    () => {
      const v = rt.get('vmi', NS, 'deaf');
      return v?.status?.phase === 'Running' && consoleHas(rt, NS, 'deaf', GuestMarkers.httpService)
        ? v
        : undefined;
    },
    240_000,
  );
  const pod = podsOf(rt, NS, vmi.metadata.uid)[0]!;
  const unhealthy = await rt.waitFor(
    'an Unhealthy Event on the launcher pod',
    () =>
      events(pod.metadata.name).find(
        (e) => e.reason === 'Unhealthy' && /statuscode: 404/.test(e.message ?? ''),
      ),
    120_000,
  );
  expect(unhealthy.message).toMatch(/^Readiness probe failed: HTTP probe failed with statuscode: 404/);
  // Several periods later it is still not Ready: the VMI, its pod and the VM say so.
  await new Promise((r) => setTimeout(r, 6000));
  expect(readyCondition(rt.get('vmi', NS, 'deaf'))).toMatchObject({
    status: 'False',
    reason: 'ContainersNotReady',
    message: 'containers with unready status: [compute]',
  });
  expect(isReady(rt.get('pod', NS, pod.metadata.name))).toBe(false);
  expect(isReady(rt.get('vm', NS, 'deaf'))).toBe(false);
  expect(rt.get('vmi', NS, 'deaf')?.status?.phase).toBe('Running');
});

it('a failing livenessProbe stops the guest; the VM starts a new one', async () => {
  rt.apply(
    probedVm('dying', {
      livenessProbe: {
        tcpSocket: { port: 7999 },
        initialDelaySeconds: 5,
        periodSeconds: 2,
        failureThreshold: 2,
      },
    }),
  );
  const first = await rt.waitFor(
    'dying Running',
    () => {
      const v = rt.get('vmi', NS, 'dying');
      return v?.status?.phase === 'Running' ? v : undefined;
    },
    240_000,
  );
  const pod = podsOf(rt, NS, first.metadata.uid)[0]!;
  const killing = await rt.waitFor(
    'a Killing Event on the launcher pod',
    () => events(pod.metadata.name).find((e) => e.reason === 'Killing'),
    120_000,
  );
  expect(killing.message).toMatch(
    /Container compute failed liveness probe, will be stopped: dial tcp [^:]+:7999: /,
  );
  // The VM's runStrategy Always starts a new VMI after the old one failed.
  await rt.waitFor(
    'a new VMI',
    () => {
      const v = rt.get('vmi', NS, 'dying');
      return v && v.metadata.uid !== first.metadata.uid ? v : undefined;
    },
    240_000,
  );
});
