import * as https from 'https';
import { silentLogger } from '../../common/log';
import { TestPki } from '../../common/test-pki.test-helper';
import { KubeApiError, KUBEVIRTS, VIRTUAL_MACHINE_INSTANCES, type KubeClient } from '../../kube';
import { startApiServer, type RunningApiServer } from '../server';
import {
  admitPodEviction,
  clusterEvictionStrategy,
  evacuationPatch,
  type EvacuationMark,
  type PodEvictionLookup,
} from './pod-eviction';
import { podEvictionLookupOf } from './pod-eviction-lookup';
import type { AdmissionRequest, AdmissionReview } from './review';
import { POD_EVICTION_PATH, POD_EVICTION_WEBHOOK_NAME, webhookConfiguration } from './webhook-configuration';

type Json = Record<string, unknown>;

const migratable = (status: 'True' | 'False', reason?: string, message?: string): Json => ({
  type: 'LiveMigratable',
  status,
  ...(reason ? { reason, message } : {}),
});

function launcherPod(
  o: { name?: string; node?: string; phase?: string; vmi?: string; labels?: Record<string, string> } = {},
): Json {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: o.name ?? 'virt-launcher-web-bcdfg',
      namespace: 'prod',
      uid: 'pod-uid',
      labels: { 'kubevirt.io': 'virt-launcher', 'kubevirt.io/created-by': 'vmi-uid', ...o.labels },
      annotations: { 'kubevirt.io/domain': o.vmi ?? 'web' },
    },
    spec: { nodeName: o.node ?? 'node-a' },
    status: { phase: o.phase ?? 'Running' },
  };
}

function vmi(o: { strategy?: unknown; status?: Json } = {}): Json {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: { name: 'web', namespace: 'prod', uid: 'vmi-uid' },
    spec: { domain: { devices: {} }, ...(o.strategy === undefined ? {} : { evictionStrategy: o.strategy }) },
    status: { phase: 'Running', nodeName: 'node-a', conditions: [migratable('True')], ...o.status },
  };
}

const kubevirt = (name: string, strategy: unknown, created = '2024-01-01T00:00:00Z'): Json => ({
  apiVersion: 'kubevirt.io/v1',
  kind: 'KubeVirt',
  metadata: { name, namespace: 'virtkit', creationTimestamp: created },
  spec: { configuration: strategy === undefined ? {} : { evictionStrategy: strategy } },
});

/** An in-memory cluster: pods and VMIs of namespace prod, KubeVirt objects, what was asked and marked. */
function cluster(
  o: {
    pods?: Json[];
    vmis?: Json[];
    kubevirts?: Json[];
    fail?: Partial<Record<keyof PodEvictionLookup, Error>>;
  } = {},
) {
  const asked: string[] = [];
  const marks: EvacuationMark[] = [];
  const fail = (what: keyof PodEvictionLookup): void => {
    const err = o.fail?.[what];
    if (err) throw err;
  };
  const byName = (list: Json[] | undefined, ns: string, name: string): Json | undefined =>
    ns === 'prod' ? list?.find((x) => (x.metadata as Json).name === name) : undefined;
  const lookup: PodEvictionLookup = {
    pod: async (ns, name) => {
      asked.push(`pod ${ns}/${name}`);
      fail('pod');
      return Promise.resolve(byName(o.pods, ns, name));
    },
    vmi: async (ns, name) => {
      asked.push(`vmi ${ns}/${name}`);
      fail('vmi');
      return Promise.resolve(byName(o.vmis, ns, name));
    },
    kubevirts: async () => {
      asked.push('kubevirts');
      fail('kubevirts');
      return Promise.resolve(o.kubevirts ?? []);
    },
    markForEvacuation: async (mark) => {
      asked.push(`mark ${mark.namespace}/${mark.name}`);
      fail('markForEvacuation');
      marks.push(mark);
      return Promise.resolve();
    },
  };
  return { lookup, asked, marks };
}

const eviction = (
  pod = 'virt-launcher-web-bcdfg',
  extra: Partial<AdmissionRequest> = {},
): AdmissionReview => ({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: {
    uid: 'req-1',
    kind: { group: 'policy', version: 'v1', kind: 'Eviction' },
    operation: 'CREATE',
    namespace: 'prod',
    name: pod,
    object: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: pod, namespace: 'prod' } },
    ...extra,
  },
});

interface Answer {
  uid: string;
  allowed: boolean;
  status?: { code: number; reason: string; message: string };
}
const answerOf = (review: AdmissionReview): Answer => (review as unknown as { response: Answer }).response;

async function evict(c: ReturnType<typeof cluster>, review = eviction()): Promise<Answer> {
  return answerOf(await admitPodEviction(review, c.lookup));
}

const TRIGGERED = 'Eviction triggered evacuation of VMI "prod/web"';

describe('evicting the launcher pod of a VMI with evictionStrategy LiveMigrate', () => {
  it('marks a migratable VMI for evacuation off its node and refuses with 429, so kubectl drain retries', async () => {
    const c = cluster({ pods: [launcherPod()], vmis: [vmi({ strategy: 'LiveMigrate' })] });
    const answer = await evict(c);
    expect(answer).toMatchObject({
      uid: 'req-1',
      allowed: false,
      status: { code: 429, reason: 'TooManyRequests' },
    });
    expect(answer.status?.message).toBe(
      `${TRIGGERED}; it is live-migrated off node node-a, and its pod goes once the migration has succeeded (kubectl drain retries until then)`,
    );
    expect(c.marks).toEqual([
      { namespace: 'prod', name: 'web', uid: 'vmi-uid', nodeName: 'node-a', dryRun: false },
    ]);
    // The VMI sets its own strategy: the cluster's is not read.
    expect(c.asked).toEqual(['pod prod/virt-launcher-web-bcdfg', 'vmi prod/web', 'mark prod/web']);
  });

  it('refuses again without marking while the evacuation is in progress', async () => {
    const marked = vmi({ strategy: 'LiveMigrate', status: { evacuationNodeName: 'node-a' } });
    const c = cluster({ pods: [launcherPod()], vmis: [marked] });
    const answer = await evict(c);
    expect(answer.allowed).toBe(false);
    expect(answer.status?.code).toBe(429);
    expect(answer.status?.message).toBe(
      `Evacuation in progress: ${TRIGGERED}; it is being live-migrated off node node-a; the pod goes once the migration has succeeded`,
    );
    expect(c.marks).toEqual([]);
  });

  it('refuses the eviction of a migration target pod (on another node than the VMI) without marking', async () => {
    const c = cluster({
      pods: [
        launcherPod({
          name: 'virt-launcher-web-target',
          node: 'node-b',
          labels: { 'kubevirt.io/migrationJobUID': 'vmim-uid' },
        }),
      ],
      vmis: [vmi({ strategy: 'LiveMigrate' })],
    });
    const answer = await evict(c, eviction('virt-launcher-web-target'));
    expect(answer.status?.code).toBe(429);
    expect(answer.status?.message).toBe(
      "Eviction request for target Pod; pod prod/virt-launcher-web-target is on node node-b and VMI prod/web runs on node-a: the pod is a migration's target, which goes when that migration ends",
    );
    expect(c.marks).toEqual([]);
  });

  it('refuses, with the same sentence, the source pod a migration just moved the guest out of, saying so', async () => {
    const c = cluster({
      pods: [launcherPod({ name: 'virt-launcher-web-source', node: 'node-b' })],
      vmis: [vmi({ strategy: 'LiveMigrate' })],
    });
    const answer = await evict(c, eviction('virt-launcher-web-source'));
    expect(answer.status?.code).toBe(429);
    expect(answer.status?.message).toBe(
      'Eviction request for target Pod; pod prod/virt-launcher-web-source is on node node-b and VMI prod/web runs on node-a: the guest has left this pod (a migration moved it), and the pod goes once its migration is done (kubectl drain retries until then)',
    );
    expect(c.marks).toEqual([]);
  });

  it("refuses, with KubeVirt's sentence and the condition's reason, a VMI that cannot migrate", async () => {
    const stuck = vmi({
      strategy: 'LiveMigrate',
      status: {
        conditions: [
          migratable('False', 'DisksNotLiveMigratable', 'cannot migrate VMI: PVC data is not shared'),
        ],
      },
    });
    const c = cluster({ pods: [launcherPod()], vmis: [stuck] });
    const answer = await evict(c);
    expect(answer.allowed).toBe(false);
    expect(answer.status?.code).toBe(429);
    expect(answer.status?.message).toBe(
      'VMI web is configured with an eviction strategy but is not live-migratable; LiveMigratable is False ' +
        '(DisksNotLiveMigratable: cannot migrate VMI: PVC data is not shared). The eviction waits until VMI ' +
        'prod/web is stopped (virtkit stop web) or can migrate; with evictionStrategy LiveMigrateIfPossible or ' +
        'None an eviction shuts it down instead',
    );
    expect(c.marks).toEqual([]);
  });

  it('treats a VMI whose LiveMigratable condition is not reported yet as not migratable', async () => {
    const c = cluster({
      pods: [launcherPod()],
      vmis: [vmi({ strategy: 'LiveMigrate', status: { conditions: [] } })],
    });
    const answer = await evict(c);
    expect(answer.status?.message).toContain('its LiveMigratable condition is not reported yet');
    expect(c.marks).toEqual([]);
  });

  it('marks with dryRun for a dry-run eviction (request.dryRun, or the Eviction deleteOptions.dryRun All)', async () => {
    for (const review of [
      eviction(undefined, { dryRun: true }),
      eviction(undefined, {
        object: { apiVersion: 'policy/v1', kind: 'Eviction', deleteOptions: { dryRun: ['All'] } },
      }),
    ]) {
      const c = cluster({ pods: [launcherPod()], vmis: [vmi({ strategy: 'LiveMigrate' })] });
      expect((await evict(c, review)).status?.message).toContain(TRIGGERED);
      expect(c.marks.map((m) => m.dryRun)).toEqual([true]);
    }
  });

  it('escapes control characters the objects carry', async () => {
    const c = cluster({
      pods: [launcherPod({ node: 'node-a' })],
      vmis: [vmi({ strategy: 'LiveMigrate', status: { evacuationNodeName: 'evil\n\x1b[2J' } })],
    });
    const message = (await evict(c)).status?.message ?? '';
    expect(message).toContain('evil\\n\\x1b[2J');
    expect([message.includes('\n'), message.includes('\x1b')]).toEqual([false, false]);
  });
});

describe('the other eviction strategies', () => {
  it('LiveMigrateIfPossible marks a migratable VMI and lets a non-migratable one be evicted', async () => {
    const yes = cluster({ pods: [launcherPod()], vmis: [vmi({ strategy: 'LiveMigrateIfPossible' })] });
    expect((await evict(yes)).status?.message).toContain(TRIGGERED);
    expect(yes.marks).toHaveLength(1);
    const no = cluster({
      pods: [launcherPod()],
      vmis: [
        vmi({ strategy: 'LiveMigrateIfPossible', status: { conditions: [migratable('False', 'X', 'y')] } }),
      ],
    });
    expect(await evict(no)).toEqual({ uid: 'req-1', allowed: true });
    expect(no.marks).toEqual([]);
  });

  it('External marks even a VMI that cannot migrate, for the external controller', async () => {
    const c = cluster({
      pods: [launcherPod()],
      vmis: [vmi({ strategy: 'External', status: { conditions: [migratable('False', 'X', 'y')] } })],
    });
    const answer = await evict(c);
    expect(answer.status?.code).toBe(429);
    expect(answer.status?.message).toBe(
      `${TRIGGERED}; status.evacuationNodeName is set to node-a for the external controller (evictionStrategy External) to move or stop it: virtkit does not migrate it`,
    );
    expect(c.marks.map((m) => m.nodeName)).toEqual(['node-a']);
  });

  it('None lets the pod be evicted', async () => {
    const c = cluster({
      pods: [launcherPod()],
      vmis: [vmi({ strategy: 'None' })],
      kubevirts: [kubevirt('kv', 'LiveMigrate')],
    });
    expect(await evict(c)).toEqual({ uid: 'req-1', allowed: true });
    // The VMI's own None wins over the cluster's LiveMigrate, which is not even read.
    expect(c.asked).not.toContain('kubevirts');
    expect(c.marks).toEqual([]);
  });
});

describe("the cluster's eviction strategy", () => {
  it('applies to a VMI that sets none', async () => {
    const c = cluster({
      pods: [launcherPod()],
      vmis: [vmi()],
      kubevirts: [kubevirt('virtkit', 'LiveMigrate')],
    });
    expect((await evict(c)).status?.message).toContain(TRIGGERED);
    expect(c.asked).toEqual([
      'pod prod/virt-launcher-web-bcdfg',
      'vmi prod/web',
      'kubevirts',
      'mark prod/web',
    ]);
  });

  it("is none when no KubeVirt object sets one (KubeVirt's own default): the pod is evicted", async () => {
    for (const kubevirts of [[], [kubevirt('virtkit', undefined)]]) {
      const c = cluster({ pods: [launcherPod()], vmis: [vmi()], kubevirts });
      expect(await evict(c)).toEqual({ uid: 'req-1', allowed: true });
      expect(c.marks).toEqual([]);
    }
  });

  it('comes from the oldest KubeVirt object when there are several', () => {
    expect(
      clusterEvictionStrategy([
        kubevirt('newer', 'None', '2024-06-01T00:00:00Z'),
        kubevirt('older', 'LiveMigrate', '2024-01-01T00:00:00Z'),
      ]),
    ).toEqual({
      value: 'LiveMigrate',
      field: 'spec.configuration.evictionStrategy of KubeVirt virtkit/older',
    });
  });

  it('refuses, naming the field, a value that is not one of the four', async () => {
    const c = cluster({
      pods: [launcherPod()],
      vmis: [vmi()],
      kubevirts: [kubevirt('virtkit', 'Livemigrate')],
    });
    const answer = await evict(c);
    expect(answer.allowed).toBe(false);
    expect(answer.status?.message).toBe(
      'spec.configuration.evictionStrategy of KubeVirt virtkit/virtkit is "Livemigrate", not one of None, ' +
        'LiveMigrate, LiveMigrateIfPossible, External: virtkit cannot tell whether the eviction may stop the ' +
        'guest; fix the field, then evict again',
    );
    expect(c.marks).toEqual([]);
  });
});

describe('evictions that are not intercepted', () => {
  const allowed = { uid: 'req-1', allowed: true };

  it('allows a pod that is not a launcher pod without reading any VMI', async () => {
    const web = {
      metadata: { name: 'nginx', namespace: 'prod', labels: { app: 'nginx' } },
      spec: { nodeName: 'node-a' },
    };
    const c = cluster({ pods: [web], vmis: [vmi({ strategy: 'LiveMigrate' })] });
    expect(await evict(c, eviction('nginx'))).toEqual(allowed);
    expect(c.asked).toEqual(['pod prod/nginx']);
  });

  it('allows a pod that does not exist (the API server answers 404)', async () => {
    expect(await evict(cluster(), eviction('gone'))).toEqual(allowed);
  });

  it('allows a launcher pod that has ended, whose VMI is gone or has ended, or that no node has taken', async () => {
    const strict = vmi({ strategy: 'LiveMigrate', status: { conditions: [] } });
    const cases = [
      cluster({ pods: [launcherPod({ phase: 'Succeeded' })], vmis: [strict] }),
      cluster({ pods: [launcherPod()], vmis: [] }),
      cluster({
        pods: [launcherPod()],
        vmis: [vmi({ strategy: 'LiveMigrate', status: { phase: 'Failed' } })],
      }),
      cluster({ pods: [launcherPod({ node: '' })], vmis: [strict] }),
    ];
    for (const c of cases) {
      expect(await evict(c)).toEqual(allowed);
      expect(c.marks).toEqual([]);
    }
  });

  it('allows what is not the creation of an Eviction', async () => {
    const c = cluster({ pods: [launcherPod()], vmis: [vmi({ strategy: 'LiveMigrate' })] });
    expect(await evict(c, eviction(undefined, { operation: 'DELETE' }))).toEqual(allowed);
    expect(await evict(c, eviction(undefined, { kind: { group: '', version: 'v1', kind: 'Pod' } }))).toEqual(
      allowed,
    );
    expect(c.asked).toEqual([]);
  });
});

describe('hotplug attachment pods', () => {
  const hotplug: Json = {
    metadata: {
      name: 'hp-volume-xyz12',
      namespace: 'prod',
      labels: { 'kubevirt.io': 'hotplug-disk' },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'virt-launcher-web-bcdfg', uid: 'pod-uid' }],
    },
    spec: { nodeName: 'node-a' },
    status: { phase: 'Running' },
  };

  it("are refused while their launcher pod's VMI exists, in KubeVirt's words", async () => {
    const c = cluster({ pods: [hotplug, launcherPod()], vmis: [vmi()] });
    const answer = await evict(c, eviction('hp-volume-xyz12'));
    expect(answer.status).toEqual({
      code: 429,
      reason: 'TooManyRequests',
      message:
        'cannot evict hotplug pod: hp-volume-xyz12 associated with running vmi: web in namespace prod; it goes with launcher pod virt-launcher-web-bcdfg: evict that one',
    });
    expect(c.marks).toEqual([]);
  });

  it('are allowed when the launcher pod or its VMI is gone', async () => {
    expect(
      (await evict(cluster({ pods: [hotplug], vmis: [vmi()] }), eviction('hp-volume-xyz12'))).allowed,
    ).toBe(true);
    expect(
      (await evict(cluster({ pods: [hotplug, launcherPod()] }), eviction('hp-volume-xyz12'))).allowed,
    ).toBe(true);
  });
});

describe('failing closed', () => {
  const pods = [launcherPod()];
  const vmis = [vmi()];
  const boom = new Error('connection refused');

  it.each([
    [
      'pod',
      'virtkit could not read pod prod/virt-launcher-web-bcdfg to decide its eviction: connection refused',
    ],
    ['vmi', 'kubevirt failed getting the vmi: connection refused'],
    [
      'kubevirts',
      "virtkit could not read the KubeVirt objects for the cluster's evictionStrategy (VMI prod/web sets none): connection refused",
    ],
    ['markForEvacuation', 'kubevirt failed marking the vmi for eviction: connection refused'],
  ] as const)('refuses with 429 when the %s lookup fails', async (what, message) => {
    const c = cluster({
      pods,
      vmis,
      kubevirts: [kubevirt('virtkit', 'LiveMigrate')],
      fail: { [what]: boom },
    });
    expect(await evict(c)).toEqual({
      uid: 'req-1',
      allowed: false,
      status: { code: 429, reason: 'TooManyRequests', message },
    });
  });

  it('answers a review without a uid or a pod with 400, and refuses everything without a cluster client', async () => {
    expect(
      answerOf(await admitPodEviction({ request: {} } as AdmissionReview, cluster().lookup)).status?.code,
    ).toBe(400);
    const noName = eviction(undefined, { name: undefined });
    expect(answerOf(await admitPodEviction(noName, cluster().lookup)).status?.code).toBe(400);
    expect(answerOf(await admitPodEviction(eviction(), undefined))).toMatchObject({
      allowed: false,
      status: { code: 500, reason: 'InternalError' },
    });
  });
});

describe('the mark', () => {
  it('is a JSON patch that adds status.evacuationNodeName, guarded by the VMI uid', () => {
    expect(
      evacuationPatch({ namespace: 'prod', name: 'web', uid: 'vmi-uid', nodeName: 'node-a', dryRun: false }),
    ).toEqual([
      { op: 'test', path: '/metadata/uid', value: 'vmi-uid' },
      { op: 'add', path: '/status/evacuationNodeName', value: 'node-a' },
    ]);
  });

  it('is written on the status subresource, with dryRun when asked, through the api client', async () => {
    const calls: unknown[][] = [];
    const client = {
      jsonPatch: (...args: unknown[]) => {
        calls.push(args);
        return Promise.resolve({});
      },
      list: () => Promise.reject(new KubeApiError('GET', '/x/kubevirts', 404, 'NotFound', 'no CRD')),
    } as unknown as KubeClient;
    const lookup = podEvictionLookupOf(client);
    await lookup.markForEvacuation({
      namespace: 'prod',
      name: 'web',
      uid: 'u',
      nodeName: 'node-a',
      dryRun: true,
    });
    expect(calls).toEqual([
      [
        VIRTUAL_MACHINE_INSTANCES,
        'prod',
        'web',
        [
          { op: 'test', path: '/metadata/uid', value: 'u' },
          { op: 'add', path: '/status/evacuationNodeName', value: 'node-a' },
        ],
        { subresource: 'status', dryRun: true },
      ],
    ]);
    // No KubeVirt CRD: no cluster strategy.
    expect(await lookup.kubevirts()).toEqual([]);
    expect(KUBEVIRTS.plural).toBe('kubevirts');
  });
});

describe('the pod-eviction webhook', () => {
  type Webhook = {
    name: string;
    failurePolicy: string;
    sideEffects: string;
    objectSelector?: unknown;
    namespaceSelector?: unknown;
    clientConfig: { url?: string; service?: { path: string } };
    rules: { apiGroups: string[]; apiVersions: string[]; operations: string[]; resources: string[] }[];
  };
  const webhookOf = (config: Record<string, unknown>): Webhook | undefined =>
    (config.webhooks as Webhook[]).find((w) => w.name === POD_EVICTION_WEBHOOK_NAME);

  it('sends the creation of every pods/eviction to its own path, fails closed, and marks nothing on dry runs', () => {
    const w = webhookOf(webhookConfiguration({ caBundlePem: 'PEM', url: 'https://127.0.0.1:9443/' }));
    expect(w).toMatchObject({
      failurePolicy: 'Fail',
      sideEffects: 'NoneOnDryRun',
      clientConfig: { url: `https://127.0.0.1:9443${POD_EVICTION_PATH}` },
      rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods/eviction'] }],
    });
    // An Eviction carries no pod labels: a selector on them would never match.
    expect(w?.objectSelector).toBeUndefined();
    expect(w?.namespaceSelector).toBeUndefined();
  });

  it('follows the configuration to a Service and to a namespace selector', () => {
    const selector = { matchLabels: { team: 'a' } };
    const w = webhookOf(
      webhookConfiguration({
        caBundlePem: 'PEM',
        service: { namespace: 'virtkit', name: 'virtkit-api' },
        namespaceSelector: selector,
      }),
    );
    expect(w?.clientConfig.service?.path).toBe(POD_EVICTION_PATH);
    expect(w?.namespaceSelector).toEqual(selector);
  });
});

describe('virtkit api serves it at /pod-eviction', () => {
  const pki = new TestPki();
  let server: RunningApiServer;
  const c = cluster({ pods: [launcherPod()], vmis: [vmi({ strategy: 'LiveMigrate' })] });

  beforeAll(async () => {
    pki.ca('ca');
    pki.leaf('api', 'virtkit-api', 'ca', { sans: ['IP:127.0.0.1'] });
    server = await startApiServer({
      tls: { certFile: pki.file('api', 'crt'), keyFile: pki.file('api', 'key') },
      port: 0,
      host: '127.0.0.1',
      log: silentLogger(),
      podEvictionLookup: c.lookup,
    });
  });
  afterAll(async () => {
    await server.close();
    pki.remove();
  });

  const post = (path: string, body: unknown, method = 'POST'): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const req = https.request(
        { host: '127.0.0.1', port: server.port, path, method, ca: pki.read('ca', 'crt') },
        (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify(body));
    });

  it('answers an eviction review with the 429 refusal and marks the VMI', async () => {
    const res = await post(POD_EVICTION_PATH, eviction());
    expect(res.status).toBe(200);
    const review = JSON.parse(res.body) as { kind: string; response: Answer };
    expect(review.kind).toBe('AdmissionReview');
    expect(review.response).toMatchObject({ uid: 'req-1', allowed: false, status: { code: 429 } });
    expect(review.response.status?.message).toContain(TRIGGERED);
    expect(c.marks).toHaveLength(1);
  });

  it('keeps /validate for the virtkit kinds, and takes only POST', async () => {
    const validate = await post('/validate', {
      request: {
        uid: 'v-1',
        operation: 'DELETE',
        kind: { group: 'kubevirt.io', version: 'v1', kind: 'VirtualMachine' },
      },
    });
    expect(JSON.parse(validate.body)).toMatchObject({ response: { uid: 'v-1', allowed: true } });
    expect((await post(POD_EVICTION_PATH, {}, 'GET')).status).toBe(405);
  });
});
