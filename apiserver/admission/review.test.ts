import { admit, type AdmissionReview } from './review';
import { POD_EVICTION_WEBHOOK_NAME, webhookConfiguration } from './webhook-configuration';

function vm(spec: Record<string, unknown>): Record<string, unknown> {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name: 'web', namespace: 'ns' },
    spec,
  };
}

const goodSpec = {
  runStrategy: 'Always',
  template: {
    spec: {
      domain: { memory: { guest: '1Gi' }, devices: { disks: [{ name: 'root', disk: { bus: 'virtio' } }] } },
      volumes: [{ name: 'root', containerDisk: { image: 'quay.io/containerdisks/fedora:40' } }],
    },
  },
};

const review = (operation: string, object: unknown, oldObject?: unknown): AdmissionReview =>
  ({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: { uid: 'u-1', operation, object, oldObject, kind: { kind: 'VirtualMachine' } },
  }) as AdmissionReview;

const response = (r: AdmissionReview) =>
  (
    r as {
      response: {
        uid: string;
        allowed: boolean;
        status?: { code: number; message: string; details?: { causes: { field: string }[] } };
      };
    }
  ).response;

describe('admission', () => {
  it('allows a valid object and echoes the request uid', () => {
    expect(response(admit(review('CREATE', vm(goodSpec))))).toEqual({ uid: 'u-1', allowed: true });
  });

  it('denies an invalid one with every problem, each with its JSON path', () => {
    const bad = vm({
      ...goodSpec,
      runStrategy: 'Sometimes',
      template: {
        spec: {
          ...goodSpec.template.spec,
          domain: { memory: { guest: '1Gi' }, devices: { disks: [{ name: 'root', disk: { bus: 'ide' } }] } },
        },
      },
    });
    const r = response(admit(review('CREATE', bad)));
    expect(r.allowed).toBe(false);
    expect(r.status?.code).toBe(422);
    expect(r.status?.message).toMatch(/^VirtualMachine ns\/web is invalid: /);
    const fields = r.status?.details?.causes.map((c) => c.field) ?? [];
    expect(fields).toEqual(
      expect.arrayContaining(['spec.runStrategy', 'spec.template.spec.domain.devices.disks[0].disk.bus']),
    );
  });

  it('denies what virtkit cannot run yet (a passt binding) with the field and the fix', () => {
    const multus = vm({
      ...goodSpec,
      template: {
        spec: {
          ...goodSpec.template.spec,
          domain: {
            ...goodSpec.template.spec.domain,
            devices: { ...goodSpec.template.spec.domain.devices, interfaces: [{ name: 'blue', passt: {} }] },
          },
          networks: [{ name: 'blue', multus: { networkName: 'blue-net' } }],
        },
      },
    });
    const r = response(admit(review('CREATE', multus)));
    expect(r.allowed).toBe(false);
    expect(r.status?.details?.causes.map((c) => c.field)).toEqual([
      'spec.template.spec.domain.devices.interfaces[0].passt',
    ]);
    expect(r.status?.message).toMatch(/the passt binding is not supported by virtkit yet; use masquerade/);
  });

  it('judges the spec, not the status the runtime writes', () => {
    const withStatus = { ...vm(goodSpec), status: { printableStatus: 'Running', somethingNew: true } };
    expect(response(admit(review('CREATE', withStatus))).allowed).toBe(true);
  });

  it('lets an update through that leaves the spec as it was (finalizers, labels, deletion)', () => {
    const stored = vm({ ...goodSpec, runStrategy: 'Sometimes' });
    const relabelled = { ...stored, metadata: { ...(stored.metadata as object), labels: { a: 'b' } } };
    expect(response(admit(review('UPDATE', relabelled, stored))).allowed).toBe(true);
    // A spec change is judged in full.
    expect(
      response(admit(review('UPDATE', vm({ ...goodSpec, runStrategy: 'Nope' }), vm(goodSpec)))).allowed,
    ).toBe(false);
  });

  it('answers a review without a uid with 400', () => {
    expect(response(admit({ request: {} } as AdmissionReview)).status?.code).toBe(400);
  });

  it('does not judge DELETE or CONNECT', () => {
    expect(response(admit(review('DELETE', null))).allowed).toBe(true);
  });
});

describe('the webhook configuration', () => {
  const config = webhookConfiguration({ caBundlePem: 'PEM', url: 'https://127.0.0.1:9443' }) as {
    webhooks: {
      name: string;
      failurePolicy: string;
      sideEffects: string;
      clientConfig: { url: string; caBundle: string };
      rules: { apiGroups: string[]; resources: string[]; operations: string[] }[];
    }[];
  };

  // The pod-eviction webhook has its own rules (pod-eviction.test.ts).
  const groupWebhooks = config.webhooks.filter((w) => w.name !== POD_EVICTION_WEBHOOK_NAME);

  it('covers every virtkit group and kind, fails closed and has no side effects', () => {
    const groups = groupWebhooks.flatMap((w) => w.rules.flatMap((r) => r.apiGroups)).sort();
    expect(groups).toEqual(
      expect.arrayContaining([
        'kubevirt.io',
        'instancetype.kubevirt.io',
        'snapshot.kubevirt.io',
        'cdi.kubevirt.io',
        'pool.kubevirt.io',
      ]),
    );
    const resources = groupWebhooks.flatMap((w) => w.rules.flatMap((r) => r.resources));
    expect(resources).toEqual(
      expect.arrayContaining(['virtualmachines', 'virtualmachineinstances', 'datavolumes']),
    );
    expect(resources.some((r) => r.includes('/'))).toBe(false);
    for (const w of groupWebhooks) {
      expect(w.failurePolicy).toBe('Fail');
      expect(w.sideEffects).toBe('None');
      expect(w.clientConfig.url).toBe('https://127.0.0.1:9443/validate');
      expect(Buffer.from(w.clientConfig.caBundle, 'base64').toString()).toBe('PEM');
      expect(w.rules[0].operations).toEqual(['CREATE', 'UPDATE']);
    }
    expect(new Set(config.webhooks.map((w) => w.name)).size).toBe(config.webhooks.length);
  });

  it('needs exactly one of url and service', () => {
    expect(() => webhookConfiguration({ caBundlePem: 'x' })).toThrow(/exactly one of url and service/);
  });
});
