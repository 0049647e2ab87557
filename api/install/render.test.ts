import { crds, volumeSnapshotCrds } from '../crd/generate';
import { FEATURE_GATES } from '../feature-gates';
import { API_CERTS_SECRET, installObjectKey, InstallOptionsError, renderInstall, VIRTKIT_VERSION } from '.';
import { API_RULES, CONTROLLER_RULES, HANDLER_RULES } from './rbac';

type Json = Record<string, unknown>;
interface Obj {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}
interface Rule {
  apiGroups: string[];
  resources: string[];
  resourceNames?: string[];
  verbs: string[];
}
interface Container {
  name: string;
  image: string;
  imagePullPolicy: string;
  command: string[];
  args: string[];
  env?: Json[];
  ports?: { name: string; containerPort: number }[];
  securityContext: Json;
  resources: { requests: Record<string, string> };
  volumeMounts: { name: string; mountPath: string; mountPropagation?: string }[];
  startupProbe?: Json;
  livenessProbe?: Json;
  readinessProbe?: Json;
}
interface PodSpec {
  serviceAccountName: string;
  securityContext?: Json;
  hostPID?: boolean;
  hostNetwork?: boolean;
  containers: Container[];
  volumes: Json[];
}
interface Workload extends Obj {
  spec: {
    replicas?: number;
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
  };
}

const render = (options = {}): Obj[] => renderInstall(options) as unknown as Obj[];
const find = (objects: Obj[], kind: string, name: string): Obj | undefined =>
  objects.find((o) => o.kind === kind && o.metadata.name === name);
const get = <T = Obj>(objects: Obj[], kind: string, name: string): T => {
  const o = find(objects, kind, name);
  if (!o) throw new Error(`no ${kind} ${name} in the install`);
  return o as T;
};
const pod = (objects: Obj[], kind: string, name: string): PodSpec =>
  get<Workload>(objects, kind, name).spec.template.spec;
const rulesOf = (objects: Obj[], kind: string, name: string): Rule[] =>
  get<{ rules: Rule[] }>(objects, kind, name).rules;
/** Every value under `key` anywhere in `value`. */
function everyValueOf(value: unknown, key: string): unknown[] {
  if (Array.isArray(value)) return value.flatMap((v) => everyValueOf(v, key));
  if (!value || typeof value !== 'object') return [];
  return Object.entries(value as Json).flatMap(([k, v]) => [
    ...(k === key ? [v] : []),
    ...everyValueOf(v, key),
  ]);
}

describe('the default install', () => {
  const objects = render();
  const keys = objects.map(installObjectKey);

  it('has every object, each once, in apply order', () => {
    expect(new Set(keys).size).toBe(keys.length);
    const crdKeys = crds().map((c) => `CustomResourceDefinition//${c.metadata.name}`);
    expect(keys).toEqual([
      'Namespace//virtkit',
      ...crdKeys,
      'KubeVirt/virtkit/virtkit',
      'ServiceAccount/virtkit/virtkit-controller',
      'ServiceAccount/virtkit/virtkit-api',
      'ServiceAccount/virtkit/virtkit-handler',
      'ClusterRole//virtkit:controller',
      'ClusterRole//virtkit:api',
      'ClusterRole//virtkit:handler',
      'ClusterRole//kubevirt.io:view',
      'ClusterRole//kubevirt.io:edit',
      'ClusterRole//kubevirt.io:admin',
      'ClusterRole//kubevirt.io:default',
      'Role/virtkit/virtkit:api:certificates',
      'ClusterRole//virtkit:api:certificates',
      'ClusterRoleBinding//virtkit:controller',
      'ClusterRoleBinding//virtkit:api',
      'RoleBinding/kube-system/virtkit:api:extension-apiserver-authentication-reader',
      'ClusterRoleBinding//virtkit:handler',
      'ClusterRoleBinding//kubevirt.io:default',
      'RoleBinding/virtkit/virtkit:api:certificates',
      'ClusterRoleBinding//virtkit:api:certificates',
      'Service/virtkit/virtkit-api',
      'Service/virtkit/virtkit-controller-metrics',
      'Deployment/virtkit/virtkit-controller',
      'Deployment/virtkit/virtkit-api',
      'DaemonSet/virtkit/virtkit-handler',
      'PodDisruptionBudget/virtkit/virtkit-controller',
      'PodDisruptionBudget/virtkit/virtkit-api',
      'ValidatingWebhookConfiguration//virtkit-validator',
      'APIService//v1.subresources.kubevirt.io',
      'APIService//v1beta1.upload.cdi.kubevirt.io',
    ]);
    // Not the network or volume snapshot CRDs: real clusters bring their own.
    expect(keys.join()).not.toMatch(/k8s\.cni\.cncf\.io|kubeovn\.io|snapshot\.storage\.k8s\.io/);
  });

  it("labels every object with the recommended labels and this virtkit's version, keeping role aggregation", () => {
    for (const o of objects)
      expect([installObjectKey(o), o.metadata.labels]).toEqual([
        installObjectKey(o),
        expect.objectContaining({
          'app.kubernetes.io/name': expect.stringMatching(/^virtkit(-controller|-api|-handler)?$/),
          'app.kubernetes.io/component': expect.any(String),
          'app.kubernetes.io/part-of': 'virtkit',
          'app.kubernetes.io/version': VIRTKIT_VERSION,
        }),
      ]);
    expect(get(objects, 'ClusterRole', 'kubevirt.io:edit').metadata.labels).toMatchObject({
      'rbac.authorization.k8s.io/aggregate-to-edit': 'true',
    });
    expect(get(objects, 'Deployment', 'virtkit-api').metadata.labels?.['app.kubernetes.io/component']).toBe(
      'api',
    );
  });

  it("selects each workload's own pods, without the version, and the Services select the pods they front", () => {
    for (const [kind, name] of [
      ['Deployment', 'virtkit-controller'],
      ['Deployment', 'virtkit-api'],
      ['DaemonSet', 'virtkit-handler'],
    ]) {
      const w = get<Workload>(objects, kind, name);
      expect(w.spec.selector.matchLabels).toEqual({
        'app.kubernetes.io/name': name,
        'app.kubernetes.io/part-of': 'virtkit',
      });
      expect(w.spec.template.metadata.labels).toMatchObject(w.spec.selector.matchLabels);
      expect(w.spec.template.spec.serviceAccountName).toBe(name);
    }
    const api = get<{ spec: { selector: Json; ports: Json[] } }>(objects, 'Service', 'virtkit-api');
    expect(api.spec.selector).toEqual(
      get<Workload>(objects, 'Deployment', 'virtkit-api').spec.selector.matchLabels,
    );
    expect(api.spec.ports).toEqual([{ name: 'https', port: 443, targetPort: 'https', protocol: 'TCP' }]);
    expect(pod(objects, 'Deployment', 'virtkit-api').containers[0].ports).toEqual([
      { name: 'https', containerPort: 8443, protocol: 'TCP' },
    ]);
    const metrics = get<{ spec: { selector: Json; ports: Json[] } }>(
      objects,
      'Service',
      'virtkit-controller-metrics',
    );
    expect(metrics.spec.selector).toEqual(
      get<Workload>(objects, 'Deployment', 'virtkit-controller').spec.selector.matchLabels,
    );
    expect(metrics.spec.ports).toEqual([
      { name: 'metrics', port: 8080, targetPort: 'metrics', protocol: 'TCP' },
    ]);
  });

  it('runs two controllers with leader election in the namespace, telling them the launcher image', () => {
    const c = get<Workload>(objects, 'Deployment', 'virtkit-controller');
    expect(c.spec.replicas).toBe(2);
    const container = c.spec.template.spec.containers[0];
    expect(container.image).toBe(`virtkit.local/virtkit:${VIRTKIT_VERSION}`);
    expect(container.imagePullPolicy).toBe('IfNotPresent');
    expect(container.command).toEqual(['virtkit']);
    expect(container.args).toEqual([
      'controller',
      '--leader-elect',
      '--leader-elect-namespace',
      'virtkit',
      '--metrics-port',
      '8080',
      '--launcher-image',
      `virtkit.local/virtkit-launcher:${VIRTKIT_VERSION}`,
    ]);
    expect(container.livenessProbe).toMatchObject({
      httpGet: { path: '/healthz', port: 'metrics', scheme: 'HTTP' },
    });
    expect(container.readinessProbe).toMatchObject({
      httpGet: { path: '/readyz', port: 'metrics', scheme: 'HTTP' },
    });
    expect(container.startupProbe).toMatchObject({ httpGet: { path: '/healthz' } });
    expect(container.resources.requests).toEqual({ cpu: '100m', memory: '256Mi' });
  });

  it('runs the controller and the api under the restricted Pod Security Standard', () => {
    for (const name of ['virtkit-controller', 'virtkit-api']) {
      const spec = pod(objects, 'Deployment', name);
      expect([name, spec.securityContext]).toEqual([
        name,
        expect.objectContaining({
          runAsNonRoot: true,
          runAsUser: 65532,
          seccompProfile: { type: 'RuntimeDefault' },
        }),
      ]);
      expect([name, spec.containers[0].securityContext]).toEqual([
        name,
        {
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          runAsNonRoot: true,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
        },
      ]);
      expect(spec.hostPID).toBeUndefined();
      expect(spec.hostNetwork).toBeUndefined();
      // A read-only root needs a writable /tmp.
      expect(spec.containers[0].volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
    }
    expect(get(objects, 'Namespace', 'virtkit').metadata.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'privileged',
    });
  });

  it("runs the handler on every node in kubelet mode, privileged with the host PID namespace, named after its node, with kubelet's device-plugins folder", () => {
    const spec = pod(objects, 'DaemonSet', 'virtkit-handler');
    expect(spec.hostPID).toBe(true);
    expect(spec.hostNetwork).toBeUndefined();
    const [handler] = spec.containers;
    expect(handler.securityContext).toMatchObject({ privileged: true, runAsUser: 0 });
    expect(handler.args).toEqual([
      'handler',
      '--runtime',
      'kubelet',
      '--node-name',
      '$(NODE_NAME)',
      '--state-dir',
      '/var/lib/virtkit',
      '--device-plugin-dir',
      '/var/lib/kubelet/device-plugins',
      '--node-api-secret',
      'virtkit-handler-certs',
      '--node-api-address',
      '$(POD_IP)',
      '--node-api-port',
      '8186',
      '--node-api-allowed-client',
      'virtkit-api-node-client',
      '--migration-address',
      '$(POD_IP)',
    ]);
    expect(handler.env).toEqual([
      { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
      { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
    ]);
    expect(spec.volumes).toEqual(
      expect.arrayContaining([
        { name: 'state', hostPath: { path: '/var/lib/virtkit', type: 'DirectoryOrCreate' } },
        { name: 'launcher-sockets', hostPath: { path: '/var/run/virtkit', type: 'DirectoryOrCreate' } },
        { name: 'kubelet-pods', hostPath: { path: '/var/lib/kubelet/pods', type: 'Directory' } },
        { name: 'device-plugins', hostPath: { path: '/var/lib/kubelet/device-plugins', type: 'Directory' } },
      ]),
    );
    expect(handler.volumeMounts).toContainEqual({
      name: 'device-plugins',
      mountPath: '/var/lib/kubelet/device-plugins',
    });
    expect(handler.volumeMounts).toContainEqual({
      name: 'kubelet-pods',
      mountPath: '/var/lib/kubelet/pods',
      mountPropagation: 'HostToContainer',
    });
    // Host paths only for the handler.
    for (const name of ['virtkit-controller', 'virtkit-api'])
      expect(everyValueOf(pod(objects, 'Deployment', name), 'hostPath')).toEqual([]);
  });

  it('keeps one controller and one api through drains', () => {
    for (const name of ['virtkit-controller', 'virtkit-api'])
      expect(get(objects, 'PodDisruptionBudget', name)).toMatchObject({
        apiVersion: 'policy/v1',
        spec: { minAvailable: 1, selector: { matchLabels: { 'app.kubernetes.io/name': name } } },
      });
  });

  it('binds each component ClusterRole to its ServiceAccount, with exactly the rules the components use', () => {
    for (const [component, rules] of [
      ['controller', CONTROLLER_RULES],
      ['api', API_RULES],
      ['handler', HANDLER_RULES],
    ] as const) {
      expect(rulesOf(objects, 'ClusterRole', `virtkit:${component}`)).toEqual(rules);
      expect(get(objects, 'ClusterRoleBinding', `virtkit:${component}`)).toMatchObject({
        roleRef: { kind: 'ClusterRole', name: `virtkit:${component}` },
        subjects: [{ kind: 'ServiceAccount', name: `virtkit-${component}`, namespace: 'virtkit' }],
      });
    }
    expect(
      get(objects, 'RoleBinding', 'virtkit:api:extension-apiserver-authentication-reader'),
    ).toMatchObject({
      metadata: { namespace: 'kube-system' },
      subjects: [{ kind: 'ServiceAccount', name: 'virtkit-api', namespace: 'virtkit' }],
    });
  });

  it('keeps the feature gates in the KubeVirt object, none by default', () => {
    expect(get(objects, 'KubeVirt', 'virtkit')).toMatchObject({
      apiVersion: 'kubevirt.io/v1',
      metadata: { namespace: 'virtkit' },
      spec: { configuration: { developerConfiguration: { featureGates: [] } } },
    });
  });

  it('sends admission and the aggregated APIs to the api Service in the namespace', () => {
    const webhook = get<{ webhooks: { clientConfig: { service: Json } }[] }>(
      objects,
      'ValidatingWebhookConfiguration',
      'virtkit-validator',
    );
    for (const w of webhook.webhooks)
      expect(w.clientConfig.service).toMatchObject({ namespace: 'virtkit', name: 'virtkit-api', port: 443 });
    expect(webhook.webhooks.map((w) => w.clientConfig.service.path)).toContain('/pod-eviction');
    for (const name of ['v1.subresources.kubevirt.io', 'v1beta1.upload.cdi.kubevirt.io'])
      expect(get(objects, 'APIService', name)).toMatchObject({
        spec: { service: { namespace: 'virtkit', name: 'virtkit-api', port: 443 } },
      });
  });
});

describe('self-signed certificates (the default)', () => {
  const objects = render();

  it('carry no Secret, no certificate data and no caBundle in the manifests', () => {
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    expect(everyValueOf(objects, 'caBundle')).toEqual([]);
    // (CRD schemas describe fields called data; no object of the install has one.)
    expect(
      everyValueOf(
        objects.filter((o) => o.kind !== 'CustomResourceDefinition'),
        'data',
      ),
    ).toEqual([]);
    expect(objects.filter((o) => o.apiVersion.startsWith('cert-manager.io/'))).toEqual([]);
    expect(everyValueOf(objects, 'annotations').flatMap((a) => Object.keys(a as Json))).not.toContain(
      'cert-manager.io/inject-ca-from',
    );
  });

  it('let the api make and renew its certificate, read through the API (no Secret mounted)', () => {
    const spec = pod(objects, 'Deployment', 'virtkit-api');
    expect(spec.volumes?.map((v) => (v as { name: string }).name)).not.toContain('certs');
    const args = spec.containers[0].args as string[];
    expect(args).toEqual(
      expect.arrayContaining(['--rotate-certificates', '--service-name', 'virtkit-api', '--port', '8443']),
    );
    expect(args).not.toContain('--tls-cert-file');
    // The Secrets' namespace comes from the pod's own.
    expect(spec.containers[0].env).toContainEqual({
      name: 'POD_NAMESPACE',
      valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } },
    });
  });

  it('let the api write its Secret and CA bundles, by name, and nothing else', () => {
    expect(rulesOf(objects, 'Role', 'virtkit:api:certificates')).toEqual([
      { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
      {
        apiGroups: [''],
        resources: ['secrets'],
        resourceNames: [
          'virtkit-api-certs',
          'virtkit-api-ca',
          'virtkit-node-ca',
          'virtkit-handler-certs',
          'virtkit-api-node-client',
        ],
        verbs: ['get', 'update'],
      },
    ]);
    expect(rulesOf(objects, 'ClusterRole', 'virtkit:api:certificates')).toEqual([
      {
        apiGroups: ['admissionregistration.k8s.io'],
        resources: ['validatingwebhookconfigurations'],
        resourceNames: ['virtkit-validator'],
        verbs: ['get', 'patch'],
      },
      {
        apiGroups: ['apiregistration.k8s.io'],
        resources: ['apiservices'],
        resourceNames: ['v1.subresources.kubevirt.io', 'v1beta1.upload.cdi.kubevirt.io'],
        verbs: ['get', 'patch'],
      },
    ]);
    for (const kind of ['RoleBinding', 'ClusterRoleBinding'])
      expect(get(objects, kind, 'virtkit:api:certificates')).toMatchObject({
        subjects: [{ kind: 'ServiceAccount', name: 'virtkit-api', namespace: 'virtkit' }],
      });
    // The Role lives in the install's namespace: the api cannot touch other Secrets there or elsewhere.
    expect(find(objects, 'Role', 'virtkit:api:certificates')?.metadata.namespace).toBe('virtkit');
    expect(
      objects
        .filter((o) => o.kind === 'ClusterRole')
        .flatMap((o) =>
          (o.rules as Rule[]).filter((r) => r.resources.includes('secrets') && !r.resourceNames),
        )
        .filter((r) => r.verbs.some((v) => ['update', 'patch', 'delete', 'list', 'watch'].includes(v))),
    ).toEqual([]);
  });
});

describe('cert-manager certificates', () => {
  const objects = render({ certificates: 'cert-manager', namespace: 'vk' });

  it('issue a CA and the api serving certificate for the Service names into the Secret the api mounts', () => {
    expect(objects.filter((o) => o.apiVersion === 'cert-manager.io/v1').map(installObjectKey)).toEqual([
      'Issuer/vk/virtkit-selfsigned',
      'Certificate/vk/virtkit-ca',
      'Issuer/vk/virtkit-ca',
      'Certificate/vk/virtkit-api',
      'Certificate/vk/virtkit-node-ca',
      'Issuer/vk/virtkit-node-ca',
      'Certificate/vk/virtkit-handler',
      'Certificate/vk/virtkit-api-node-client',
    ]);
    expect(get(objects, 'Certificate', 'virtkit-ca')).toMatchObject({
      spec: {
        isCA: true,
        secretName: 'virtkit-ca',
        issuerRef: { name: 'virtkit-selfsigned', kind: 'Issuer' },
      },
    });
    expect(get(objects, 'Issuer', 'virtkit-ca')).toMatchObject({
      spec: { ca: { secretName: 'virtkit-ca' } },
    });
    expect(get(objects, 'Certificate', 'virtkit-api')).toMatchObject({
      spec: {
        secretName: API_CERTS_SECRET,
        dnsNames: ['virtkit-api.vk.svc', 'virtkit-api.vk.svc.cluster.local'],
        issuerRef: { name: 'virtkit-ca', kind: 'Issuer' },
      },
    });
    // The pods wait for cert-manager's Secret rather than starting without a certificate.
    const api = pod(objects, 'Deployment', 'virtkit-api');
    expect(api.volumes).toContainEqual({
      name: 'certs',
      secret: { secretName: API_CERTS_SECRET, defaultMode: 0o440 },
    });
    expect(api.containers[0].args).toEqual(
      expect.arrayContaining(['--tls-cert-file', '/etc/virtkit/api-certs/tls.crt']),
    );
    expect(api.containers[0].args).not.toContain('--rotate-certificates');
  });

  it("issue the node API's own CA, the handlers' serving certificate and the api's client certificate, which the api reads by name", () => {
    expect(get(objects, 'Certificate', 'virtkit-node-ca')).toMatchObject({
      spec: { isCA: true, secretName: 'virtkit-node-ca', issuerRef: { name: 'virtkit-selfsigned' } },
    });
    expect(get(objects, 'Certificate', 'virtkit-handler')).toMatchObject({
      spec: {
        secretName: 'virtkit-handler-certs',
        dnsNames: ['virtkit-handler'],
        usages: ['server auth', 'digital signature'],
        issuerRef: { name: 'virtkit-node-ca', kind: 'Issuer' },
      },
    });
    expect(get(objects, 'Certificate', 'virtkit-api-node-client')).toMatchObject({
      spec: {
        secretName: 'virtkit-api-node-client',
        commonName: 'virtkit-api-node-client',
        usages: ['client auth', 'digital signature'],
        issuerRef: { name: 'virtkit-node-ca', kind: 'Issuer' },
      },
    });
    expect(pod(objects, 'Deployment', 'virtkit-api').containers[0].args).toEqual(
      expect.arrayContaining(['--node-client-secret', 'virtkit-api-node-client']),
    );
    expect(rulesOf(objects, 'Role', 'virtkit:api:certificates')).toEqual([
      { apiGroups: [''], resources: ['secrets'], resourceNames: ['virtkit-api-node-client'], verbs: ['get'] },
    ]);
  });

  it("have cert-manager's CA injector write the CA bundles, and give the api no RBAC on certificates but reading its node client Secret", () => {
    for (const [kind, name] of [
      ['ValidatingWebhookConfiguration', 'virtkit-validator'],
      ['APIService', 'v1.subresources.kubevirt.io'],
      ['APIService', 'v1beta1.upload.cdi.kubevirt.io'],
    ])
      expect([name, get(objects, kind, name).metadata.annotations]).toEqual([
        name,
        { 'cert-manager.io/inject-ca-from': 'vk/virtkit-api' },
      ]);
    expect(everyValueOf(objects, 'caBundle')).toEqual([]);
    expect(
      objects.filter((o) => o.metadata.name === 'virtkit:api:certificates').map(installObjectKey),
    ).toEqual(['Role/vk/virtkit:api:certificates', 'RoleBinding/vk/virtkit:api:certificates']);
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
  });
});

describe('options', () => {
  it('put everything namespaced in the namespace given', () => {
    const objects = render({ namespace: 'vk-system' });
    const namespaces = new Set(objects.map((o) => o.metadata.namespace).filter(Boolean));
    // kube-system holds only the api's binding to the built-in front-proxy reader Role.
    expect([...namespaces].sort()).toEqual(['kube-system', 'vk-system']);
    expect(find(objects, 'Namespace', 'vk-system')).toBeDefined();
    expect(pod(objects, 'Deployment', 'virtkit-controller').containers[0].args).toContain('vk-system');
    for (const o of objects.filter((x) => x.kind.endsWith('Binding')))
      for (const s of o.subjects as Json[])
        if (s.kind === 'ServiceAccount') expect(s.namespace).toBe('vk-system');
  });

  it('take images from the registry and tag, or as given', () => {
    const byRegistry = render({ registry: 'registry.example.com:5000/vk', tag: '1.2.3' });
    const images = (objects: Obj[]) => ({
      virtkit: ['virtkit-controller', 'virtkit-api']
        .map((n) => pod(objects, 'Deployment', n).containers[0].image)
        .concat(pod(objects, 'DaemonSet', 'virtkit-handler').containers[0].image),
      launcher: pod(objects, 'Deployment', 'virtkit-controller').containers[0].args.at(-1),
    });
    expect(images(byRegistry)).toEqual({
      virtkit: Array(3).fill('registry.example.com:5000/vk/virtkit:1.2.3'),
      launcher: 'registry.example.com:5000/vk/virtkit-launcher:1.2.3',
    });
    const given = render({
      virtkitImage: 'a.example/v@sha256:' + 'b'.repeat(64),
      launcherImage: 'l:7',
      imagePullPolicy: 'Never',
    });
    expect(images(given)).toEqual({
      virtkit: Array(3).fill('a.example/v@sha256:' + 'b'.repeat(64)),
      launcher: 'l:7',
    });
    expect(pod(given, 'DaemonSet', 'virtkit-handler').containers[0].imagePullPolicy).toBe('Never');
  });

  it('set replicas, and leave out the disruption budget of a single replica (it would block every drain)', () => {
    const objects = render({ controllerReplicas: 3, apiReplicas: 1 });
    expect(get<Workload>(objects, 'Deployment', 'virtkit-controller').spec.replicas).toBe(3);
    expect(get<Workload>(objects, 'Deployment', 'virtkit-api').spec.replicas).toBe(1);
    expect(find(objects, 'PodDisruptionBudget', 'virtkit-controller')).toBeDefined();
    expect(find(objects, 'PodDisruptionBudget', 'virtkit-api')).toBeUndefined();
  });

  it('turn on feature gates, each once', () => {
    const objects = render({ featureGates: ['HostDisk', 'GPU', 'HostDisk'] });
    expect(get(objects, 'KubeVirt', 'virtkit')).toMatchObject({
      spec: { configuration: { developerConfiguration: { featureGates: ['HostDisk', 'GPU'] } } },
    });
  });

  it("allow software emulation (KubeVirt's useEmulation) only when asked", () => {
    const dev = (objects: Obj[]): unknown =>
      (
        get(objects, 'KubeVirt', 'virtkit') as {
          spec: { configuration: { developerConfiguration: unknown } };
        }
      ).spec.configuration.developerConfiguration;
    expect(dev(render())).not.toHaveProperty('useEmulation');
    expect(dev(render({ useEmulation: true }))).toEqual({ featureGates: [], useEmulation: true });
    expect(() => render({ useEmulation: 'yes' as unknown as boolean })).toThrow('useEmulation');
  });

  it('give the handlers the registry mirrors of their containerDisk pulls, in order, none by default', () => {
    const argsOf = (objects: Obj[]): string[] =>
      (
        (get(objects, 'DaemonSet', 'virtkit-handler') as Json).spec as {
          template: { spec: { containers: { args: string[] }[] } };
        }
      ).template.spec.containers[0].args;
    expect(argsOf(render())).not.toContain('--registry-mirror');
    const args = argsOf(
      render({
        registryMirrors: ['quay.io=http://10.0.0.5:5000/', 'Registry-1.Docker.IO=https://m.example.com'],
      }),
    );
    // Normalized as the handler reads them: the host lowercased, Docker Hub's API host as docker.io, no trailing slash.
    expect(args.slice(args.indexOf('--registry-mirror'))).toEqual([
      '--registry-mirror',
      'quay.io=http://10.0.0.5:5000',
      '--registry-mirror',
      'docker.io=https://m.example.com',
    ]);
  });

  it('add the network and volume snapshot CRDs on request', () => {
    const names = render({ withNetworkCrds: true, withVolumeSnapshotCrds: true })
      .filter((o) => o.kind === 'CustomResourceDefinition')
      .map((o) => o.metadata.name);
    expect(names).toEqual([
      ...crds({ withNetworkCrds: true }).map((c) => c.metadata.name),
      ...volumeSnapshotCrds().map((c) => c.metadata.name),
    ]);
  });

  it('are refused all at once, each naming the option, the value and the fix', () => {
    let caught: unknown;
    try {
      renderInstall({
        namespace: 'Not_A_Namespace',
        registry: 'https://registry.example.com',
        tag: ':latest',
        virtkitImage: 'has space',
        launcherImage: 'UPPER/case',
        imagePullPolicy: 'Sometimes',
        controllerReplicas: 0,
        apiReplicas: 2.5,
        certificates: 'lets-encrypt' as 'self-signed',
        featureGates: ['HostDisk', 'Telepathy'],
        withNetworkCrds: 'yes' as unknown as boolean,
        withVolumeSnapshotCrds: 1 as unknown as boolean,
        registryMirrors: ['quay.io=http://10.0.0.5:5000', 'quay.io', 'docker.io=http://m/path'],
      });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(InstallOptionsError);
    const issues = (caught as InstallOptionsError).issues;
    expect(issues.map((i) => i.path)).toEqual([
      'namespace',
      'registry',
      'tag',
      'virtkitImage',
      'launcherImage',
      'imagePullPolicy',
      'controllerReplicas',
      'apiReplicas',
      'certificates',
      'featureGates[1]',
      'withNetworkCrds',
      'withVolumeSnapshotCrds',
      'registryMirrors[1]',
      'registryMirrors[2]',
    ]);
    const message = (caught as Error).message;
    expect(message).toMatch(/^invalid install options \(14 problems\):/);
    expect(message).toMatch(
      /registryMirrors\[1\]: "quay.io" is not a mirror; write HOST=URL, such as docker.io=http:\/\/127.0.0.1:5000 \(URL: http\(s\):\/\/host\[:port\], no path\)/,
    );
    expect(message).toMatch(/registryMirrors\[2\]: "docker.io=http:\/\/m\/path" is not a mirror/);
    expect(message).toMatch(
      /namespace: "Not_A_Namespace" must be a lowercase RFC 1123 label.*give a namespace name such as virtkit/,
    );
    expect(message).toMatch(
      /registry: "https:\/\/registry\.example\.com" is not a registry.*for example registry\.example\.com\/virtkit/,
    );
    expect(message).toMatch(
      /imagePullPolicy: "Sometimes" is not an image pull policy; give one of IfNotPresent, Always, Never/,
    );
    expect(message).toMatch(/controllerReplicas: 0 is not a whole number from 1 to 10/);
    expect(message).toMatch(/apiReplicas: 2\.5 is not a whole number/);
    expect(message).toMatch(
      /certificates: "lets-encrypt" is not a certificate mode; give self-signed .* or cert-manager/,
    );
    expect(message).toMatch(
      new RegExp(
        `featureGates\\[1\\]: "Telepathy" is not a feature gate virtkit knows; give one of ${Object.keys(FEATURE_GATES).join(', ')}`,
      ),
    );
    expect(message).toMatch(/withNetworkCrds: "yes" is not a boolean; give true or false/);
  });

  it('are refused when unknown (a typo would otherwise be ignored) or of the wrong type', () => {
    expect(() => renderInstall({ namspace: 'x' } as never)).toThrow(
      /namspace: is not an install option; the options are namespace, registry, tag/,
    );
    expect(() => renderInstall({ featureGates: 'HostDisk' as never })).toThrow(
      /featureGates: "HostDisk" is not a list/,
    );
    expect(() => renderInstall({ namespace: 7 as never })).toThrow(/namespace: 7 is not a string/);
  });

  it('refuse a version that cannot be a label or a tag, unless the tag is given', () => {
    expect(() => renderInstall({}, { version: '1.0.0+build.7' })).toThrow(
      /version: "1\.0\.0\+build\.7" cannot be the app\.kubernetes\.io\/version label[\s\S]*tag: "1\.0\.0\+build\.7" is the version of this virtkit, which is not an image tag; give the tag explicitly/,
    );
    expect(renderInstall({}, { version: '0.2.0-rc.1' })[0].metadata.labels).toMatchObject({
      'app.kubernetes.io/version': '0.2.0-rc.1',
    });
  });
});
