import { useEmulationOf, type VirtualMachineInstance } from '../../api/kubevirt/v1';
import { renderEphemeralPod } from './ephemeral-pod';
import { memoryOverhead } from '../../api/sizing';
import { hashedPodInterfaceName } from '../../api/multus/pod-interfaces';
import {
  launcherPodName,
  renderLauncherPod,
  renderMigrationTargetPod,
  vmiAnnotationsForPod,
} from './launcher-pod';
import { decideVmi, FOREGROUND_FINALIZER, type LauncherPod } from './phase';

const NOW = new Date('2025-01-01T12:00:00Z');

function vmi(
  phase?: VirtualMachineInstance['status'] extends infer S
    ? S extends { phase?: infer P }
      ? P
      : never
    : never,
  extra: Partial<VirtualMachineInstance> = {},
): VirtualMachineInstance {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: {
      name: 'demo',
      namespace: 'ns',
      uid: 'vmi-uid',
      labels: { app: 'web' },
      finalizers: [FOREGROUND_FINALIZER],
    },
    spec: {
      domain: { cpu: { cores: 2 }, memory: { guest: '1Gi' }, devices: {} },
      nodeSelector: { zone: 'a' },
      tolerations: [{ key: 'dedicated', operator: 'Exists' }],
      terminationGracePeriodSeconds: 120,
      volumes: [
        { name: 'root', persistentVolumeClaim: { claimName: 'root-pvc' } },
        { name: 'data', dataVolume: { name: 'data-dv' } },
        { name: 'cfg', configMap: { name: 'app-config' } },
        { name: 'creds', secret: { secretName: 'app-secret' } },
        { name: 'scratch', emptyDisk: { capacity: '1Gi' } },
        { name: 'cd', containerDisk: { image: 'example/disk:1' } },
      ],
    },
    ...(phase
      ? {
          status: {
            phase,
            phaseTransitionTimestamps: [{ phase, phaseTransitionTimestamp: '2025-01-01T11:00:00Z' }],
          },
        }
      : {}),
    ...extra,
  };
}

function pod(
  opts: { node?: string; phase?: string; unschedulable?: boolean; deleting?: boolean } = {},
): LauncherPod {
  return {
    metadata: {
      name: 'virt-launcher-demo-abcde',
      uid: 'pod-uid',
      creationTimestamp: '2025-01-01T11:00:01Z',
      ...(opts.deleting ? { deletionTimestamp: '2025-01-01T11:59:00Z' } : {}),
    },
    spec: opts.node ? { nodeName: opts.node } : {},
    status: {
      phase: opts.phase ?? 'Pending',
      conditions: opts.unschedulable
        ? [
            {
              type: 'PodScheduled',
              status: 'False',
              reason: 'Unschedulable',
              message: '0/1 nodes are available',
            },
          ]
        : [],
    },
  };
}

describe('launcher pod rendering', () => {
  const v = vmi();
  const p = renderLauncherPod(v, { overheadBytes: memoryOverhead(v.spec), useEmulation: false });
  const spec = p.spec as Record<string, unknown>;
  const compute = (spec.containers as Record<string, unknown>[])[0];

  test("carries KubeVirt's readiness gate, which the VMI controller keeps False while the guest is paused", () => {
    expect(spec.readinessGates).toEqual([{ conditionType: 'kubevirt.io/virtual-machine-unpaused' }]);
  });

  test('name, labels, annotations and owner as KubeVirt sets them', () => {
    expect(p.metadata.name).toMatch(/^virt-launcher-demo-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(launcherPodName(v)).toBe(p.metadata.name); // stable for one VMI: a second create collides
    expect(launcherPodName({ ...v, metadata: { ...v.metadata, uid: 'other' } })).not.toBe(p.metadata.name);
    expect(p.metadata.labels).toEqual({
      app: 'web',
      'kubevirt.io': 'virt-launcher',
      'kubevirt.io/created-by': 'vmi-uid',
      'vm.kubevirt.io/name': 'demo',
      'kubevirt.io/domain': 'demo',
    });
    expect(p.metadata.annotations['kubevirt.io/domain']).toBe('demo');
    expect(JSON.parse(p.metadata.annotations['virtkit.io/vmi'])).toMatchObject({
      metadata: { uid: 'vmi-uid', name: 'demo' },
      spec: v.spec,
    });
    expect(p.metadata.ownerReferences).toEqual([
      {
        apiVersion: 'kubevirt.io/v1',
        kind: 'VirtualMachineInstance',
        name: 'demo',
        uid: 'vmi-uid',
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
  });

  test("Multus networks: the pod asks for its attachments in Multus's annotation, MACs included", () => {
    const base = vmi();
    const withNets: VirtualMachineInstance = {
      ...base,
      spec: {
        ...base.spec,
        domain: {
          ...base.spec.domain,
          devices: {
            interfaces: [
              { name: 'default', masquerade: {} },
              { name: 'blue', bridge: {}, macAddress: 'DE-AD-00-00-BE-AF' },
            ],
          },
        },
        networks: [
          { name: 'default', pod: {} },
          { name: 'blue', multus: { networkName: 'infra/br-blue' } },
        ],
      },
    };
    const pod = renderLauncherPod(withNets, {
      overheadBytes: memoryOverhead(withNets.spec),
      useEmulation: false,
    });
    expect(JSON.parse(pod.metadata.annotations['k8s.v1.cni.cncf.io/networks'])).toEqual([
      {
        name: 'br-blue',
        namespace: 'infra',
        interface: hashedPodInterfaceName('blue'),
        mac: 'de:ad:00:00:be:af',
      },
    ]);
    expect(p.metadata.annotations['k8s.v1.cni.cncf.io/networks']).toBeUndefined();
  });

  test("the VMI's annotations are copied as KubeVirt copies them, bookkeeping left out", () => {
    expect(
      vmiAnnotationsForPod({
        'ovn.kubernetes.io/ip_address': '10.16.0.9',
        'blue.apps.ovn.kubernetes.io/logical_switch': 'blue',
        'kubectl.kubernetes.io/last-applied-configuration': '{}',
        'kubectl.kubernetes.io/restartedAt': 'now',
        'kubevirt.io/storage-observed-api-version': 'v1',
        'kubevirt.io/latest-observed-api-version': 'v1',
        'kubevirt.io/latest-observed-api-version-x': 'v1',
        'kubevirt.io/vm-generation': '3',
        'example.com/kubectl.kubernetes.io': 'kept',
      }),
    ).toEqual({
      'ovn.kubernetes.io/ip_address': '10.16.0.9',
      'blue.apps.ovn.kubernetes.io/logical_switch': 'blue',
      'kubevirt.io/vm-generation': '3',
      'example.com/kubectl.kubernetes.io': 'kept',
    });
    expect(vmiAnnotationsForPod()).toEqual({});
  });

  test("the launcher pod carries the VMI's network annotations (Kube-OVN's fixed address); its own win", () => {
    const base = vmi();
    const annotated: VirtualMachineInstance = {
      ...base,
      metadata: {
        ...base.metadata,
        annotations: {
          'ovn.kubernetes.io/ip_address': '10.16.0.9',
          'ovn.kubernetes.io/mac_address': '00:00:00:12:34:56',
          'ovn.kubernetes.io/logical_switch': 'team',
          'kubectl.kubernetes.io/last-applied-configuration': '{"big":"json"}',
          'kubevirt.io/latest-observed-api-version': 'v1',
          'kubevirt.io/domain': 'spoofed',
          'virtkit.io/vmi': 'spoofed',
        },
      },
    };
    const a = renderLauncherPod(annotated, { overheadBytes: 100, useEmulation: false }).metadata.annotations;
    expect(a).toMatchObject({
      'ovn.kubernetes.io/ip_address': '10.16.0.9',
      'ovn.kubernetes.io/mac_address': '00:00:00:12:34:56',
      'ovn.kubernetes.io/logical_switch': 'team',
      'kubectl.kubernetes.io/default-container': 'compute',
      'kubevirt.io/domain': 'demo',
    });
    expect(a['kubectl.kubernetes.io/last-applied-configuration']).toBeUndefined();
    expect(a['kubevirt.io/latest-observed-api-version']).toBeUndefined();
    expect(JSON.parse(a['virtkit.io/vmi'])).toMatchObject({ metadata: { uid: 'vmi-uid' } });
  });

  test('restart policy, grace period with margins, placement copied from the VMI', () => {
    expect(spec.restartPolicy).toBe('Never');
    expect(spec.terminationGracePeriodSeconds).toBe(150);
    expect(spec.nodeSelector).toEqual({ zone: 'a', 'kubevirt.io/schedulable': 'true' });
    expect(spec.tolerations).toEqual([{ key: 'dedicated', operator: 'Exists' }]);
  });

  test('compute container: virtkit launcher with the VMI file and the folder it shares with the handler, memory = guest + overhead, cpu from vCPUs, one tun device', () => {
    expect(compute.name).toBe('compute');
    expect(compute.command).toEqual(['virtkit', 'launcher']);
    expect(compute.args).toEqual([
      '--vmi',
      '/var/run/virtkit/vmi/vmi.json',
      '--workdir',
      '/var/run/kubevirt-private',
      '--handler-dir',
      '/var/run/kubevirt/sockets',
    ]);
    expect(compute.resources).toEqual({
      requests: {
        memory: String(2 ** 30 + memoryOverhead(v.spec)),
        cpu: '200m',
        'devices.kubevirt.io/tun': '1',
        'devices.kubevirt.io/kvm': '1',
      },
      limits: { 'devices.kubevirt.io/tun': '1', 'devices.kubevirt.io/kvm': '1' },
    });
    expect(compute.volumeMounts).toEqual(
      expect.arrayContaining([
        { name: 'sockets', mountPath: '/var/run/kubevirt/sockets' },
        { name: 'private', mountPath: '/var/run/kubevirt-private' },
      ]),
    );
    expect(spec.volumes).toEqual(expect.arrayContaining([{ name: 'sockets', emptyDir: {} }]));
    // The launcher, not root, serves its guests' DHCP on port 67 in the pod's own namespace.
    expect(spec.securityContext).toEqual({
      sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '67' }],
    });
  });

  test('volumes for claims, DataVolumes, ConfigMaps, Secrets and scratch disks', () => {
    expect(spec.volumes).toEqual(
      expect.arrayContaining([
        { name: 'root', persistentVolumeClaim: { claimName: 'root-pvc' } },
        { name: 'data', persistentVolumeClaim: { claimName: 'data-dv' } },
        { name: 'cfg', configMap: { name: 'app-config' } },
        { name: 'creds', secret: { secretName: 'app-secret' } },
        { name: 'scratch', emptyDir: {} },
        { name: 'cd', emptyDir: {} },
        {
          name: 'vmi',
          downwardAPI: {
            items: [{ path: 'vmi.json', fieldRef: { fieldPath: "metadata.annotations['virtkit.io/vmi']" } }],
          },
        },
      ]),
    );
    expect(compute.volumeMounts).toEqual(
      expect.arrayContaining([{ name: 'root', mountPath: '/var/run/kubevirt-private/vmi-disks/root' }]),
    );
  });

  test('explicit cpu and memory limits carry the overhead; dedicated CPUs make the pod Guaranteed', () => {
    const limited = vmi();
    limited.spec.domain.resources = {
      requests: { cpu: '1500m', memory: '1Gi' },
      limits: { cpu: '2', memory: '1Gi' },
    };
    const r = renderLauncherPod(limited, { overheadBytes: 100, useEmulation: false }).spec as {
      containers: { resources: unknown }[];
    };
    const tun = { 'devices.kubevirt.io/tun': '1', 'devices.kubevirt.io/kvm': '1' };
    expect(r.containers[0].resources).toEqual({
      requests: { memory: String(2 ** 30 + 100), cpu: '1500m', ...tun },
      limits: { memory: String(2 ** 30 + 100), cpu: '2', ...tun },
    });
    const dedicated = vmi();
    dedicated.spec.domain.cpu = { cores: 2, dedicatedCpuPlacement: true };
    const d = renderLauncherPod(dedicated, { overheadBytes: 100, useEmulation: false }).spec as {
      containers: { resources: unknown }[];
    };
    expect(d.containers[0].resources).toEqual({
      requests: { memory: String(2 ** 30 + 100), cpu: '2', ...tun },
      limits: { memory: String(2 ** 30 + 100), cpu: '2', ...tun },
    });
  });
});

describe('the kvm device and useEmulation (KubeVirt developerConfiguration.useEmulation)', () => {
  const v = vmi();
  const resources = (useEmulation: boolean): unknown =>
    (
      renderLauncherPod(v, { overheadBytes: 0, useEmulation }).spec as {
        containers: { resources: unknown }[];
      }
    ).containers[0].resources;
  test('a launcher pod asks for one devices.kubevirt.io/kvm unless the cluster allows software emulation', () => {
    expect(resources(false)).toMatchObject({
      requests: { 'devices.kubevirt.io/kvm': '1' },
      limits: { 'devices.kubevirt.io/kvm': '1' },
    });
    const emulated = resources(true) as { requests: Record<string, string>; limits: Record<string, string> };
    expect(Object.keys(emulated.requests)).not.toContain('devices.kubevirt.io/kvm');
    expect(Object.keys(emulated.limits)).not.toContain('devices.kubevirt.io/kvm');
    expect(emulated.requests['devices.kubevirt.io/tun']).toBe('1');
  });
  test('the migration target and ephemeral pods ask for what the launcher pod asks for', () => {
    const migration = { metadata: { name: 'm', uid: 'u' }, spec: {} };
    for (const useEmulation of [false, true]) {
      const opts = { overheadBytes: 0, useEmulation };
      const want = (renderLauncherPod(v, opts).spec as { containers: { resources: unknown }[] }).containers[0]
        .resources;
      for (const pod of [renderMigrationTargetPod(v, migration, opts), renderEphemeralPod(v, opts)])
        expect((pod.spec as { containers: { resources: unknown }[] }).containers[0].resources).toEqual(want);
    }
  });
  test("useEmulationOf: any KubeVirt object's developerConfiguration.useEmulation: true", () => {
    const kv = (useEmulation: unknown) => ({
      spec: { configuration: { developerConfiguration: { useEmulation } } },
    });
    expect(useEmulationOf([])).toBe(false);
    expect(useEmulationOf([kv(false), {}])).toBe(false);
    expect(useEmulationOf([kv('true')])).toBe(false);
    expect(useEmulationOf([kv(false), kv(true)])).toBe(true);
  });
});

describe("a migration's target pod", () => {
  const migration = {
    metadata: { name: 'move-demo', uid: 'vmim-uid' },
    spec: { addedNodeSelector: { rack: 'r2', zone: 'b' } },
  };

  test("the VMI's launcher pod with KubeVirt's migration label and annotation, under its own name", () => {
    const v = vmi();
    const opts = { overheadBytes: memoryOverhead(v.spec), useEmulation: false };
    const first = renderLauncherPod(v, opts);
    const target = renderMigrationTargetPod(v, migration, opts);
    expect(target.metadata.name).toMatch(/^virt-launcher-demo-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(target.metadata.name).not.toBe(first.metadata.name);
    // A second render for the same migration gives the same name: a repeated create collides.
    expect(renderMigrationTargetPod(v, migration, opts).metadata.name).toBe(target.metadata.name);
    expect(target.metadata.labels).toEqual({
      ...first.metadata.labels,
      'kubevirt.io/migrationJobUID': 'vmim-uid',
    });
    expect(target.metadata.annotations).toEqual({
      ...first.metadata.annotations,
      'kubevirt.io/migrationJobName': 'move-demo',
    });
    expect(target.metadata.ownerReferences).toEqual(first.metadata.ownerReferences);
    expect((target.spec.containers as unknown[])[0]).toEqual((first.spec.containers as unknown[])[0]);
  });

  test("never on the VMI's node; addedNodeSelector narrows the VMI's placement without overriding it", () => {
    const v = vmi();
    v.spec.affinity = {
      podAntiAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [
          { labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'topology.kubernetes.io/zone' },
        ],
      },
    };
    const target = renderMigrationTargetPod(v, migration, { overheadBytes: 0, useEmulation: false });
    expect(target.spec.nodeSelector).toEqual({
      rack: 'r2',
      zone: 'a', // the VMI's own
      'kubevirt.io/schedulable': 'true',
    });
    expect(target.spec.affinity).toEqual({
      podAntiAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [
          { labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'topology.kubernetes.io/zone' },
          {
            labelSelector: { matchLabels: { 'kubevirt.io/created-by': 'vmi-uid' } },
            topologyKey: 'kubernetes.io/hostname',
          },
        ],
      },
    });
    // The VMI's own affinity is not touched.
    expect(v.spec.affinity.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution).toHaveLength(1);
  });
});

describe('VMI phase tracking', () => {
  const phases = (s: { phaseTransitionTimestamps?: { phase?: string }[] }): (string | undefined)[] =>
    (s.phaseTransitionTimestamps ?? []).map((t) => t.phase);

  test('a new VMI: finalizer added, pod created, Pending then Scheduling', () => {
    const d = decideVmi({
      vmi: { ...vmi(), metadata: { ...vmi().metadata, finalizers: [] } },
      pods: [],
      now: NOW,
    });
    expect(d).toMatchObject({ addFinalizer: true, createPod: true });
    expect(d.status.phase).toBe('Scheduling');
    expect(phases(d.status)).toEqual(['Pending', 'Scheduling']);
  });

  test('while a created pod is not in the cache yet, nothing is created twice or failed', () => {
    const d = decideVmi({ vmi: vmi('Scheduling'), pods: [], now: NOW, podCreationExpected: true });
    expect(d.createPod).toBeUndefined();
    expect(d.status.phase).toBe('Scheduling');
  });

  test('DataVolumes not ready: Pending with Provisioning, no pod', () => {
    const d = decideVmi({ vmi: vmi(), pods: [], now: NOW, dataVolumesReady: false });
    expect(d.createPod).toBeUndefined();
    expect(d.status.phase).toBe('Pending');
    expect(d.status.conditions?.find((c) => c.type === 'Provisioning')).toMatchObject({
      status: 'True',
      reason: 'DataVolumesNotReady',
    });
  });

  test('unbound pod: Scheduling, and PodScheduled mirrors the scheduler', () => {
    const d = decideVmi({ vmi: vmi('Scheduling'), pods: [pod({ unschedulable: true })], now: NOW });
    expect(d.status.phase).toBe('Scheduling');
    expect(d.status.conditions?.find((c) => c.type === 'PodScheduled')).toMatchObject({
      status: 'False',
      reason: 'Unschedulable',
      message: '0/1 nodes are available',
    });
  });

  test('bound pod: Scheduled with nodeName, activePods and the node label', () => {
    const d = decideVmi({ vmi: vmi('Scheduling'), pods: [pod({ node: 'n1' })], now: NOW });
    expect(d.status).toMatchObject({ phase: 'Scheduled', nodeName: 'n1', activePods: { 'pod-uid': 'n1' } });
    expect(d.nodeNameLabel).toBe('n1');
    expect(phases(d.status)).toEqual(['Scheduling', 'Scheduled']);
  });

  test("a launcher waiting on its image: Synchronized=False with the pod's reason; gone once it runs", () => {
    const waiting = pod({ node: 'n1' });
    waiting.status = {
      ...waiting.status,
      containerStatuses: [
        {
          name: 'compute',
          state: {
            waiting: {
              reason: 'ImagePullBackOff',
              message: 'Back-off pulling image "r/x:v9": 404 Not Found',
            },
          },
        },
      ],
    };
    const d = decideVmi({ vmi: vmi('Scheduled'), pods: [waiting], now: NOW });
    const sync = d.status.conditions?.find((c) => c.type === 'Synchronized');
    expect(sync).toMatchObject({
      status: 'False',
      reason: 'ImagePullBackOff',
      message: 'Back-off pulling image "r/x:v9": 404 Not Found',
    });
    const pulled = decideVmi({
      vmi: { ...vmi('Scheduled'), status: { ...d.status } },
      pods: [pod({ node: 'n1' })],
      now: NOW,
    });
    expect(pulled.status.conditions?.find((c) => c.type === 'Synchronized')).toBeUndefined();
  });

  describe('a launcher pod whose sandbox (network) could not be made', () => {
    const MESSAGE =
      'Failed to create pod sandbox: pod ns/virt-launcher-demo-abcde (uid pod-uid): network set-up failed: ' +
      'network-attachment-definitions.k8s.cni.cncf.io "nope" not found in namespace "ns": create it or fix ' +
      "the VMI's spec.networks[].multus.networkName";
    const failing = (reason: string | undefined, message = MESSAGE): LauncherPod => {
      const p = pod({ node: 'n1' });
      p.status = {
        ...p.status,
        conditions: [
          { type: 'PodReadyToStartContainers', status: 'False', ...(reason ? { reason } : {}), message },
          { type: 'PodScheduled', status: 'True' },
        ],
        containerStatuses: [
          { name: 'compute', state: { waiting: { reason: 'ContainerCreating', message } } },
        ],
      };
      return p;
    };
    const sync = (d: { status: { conditions?: { type: string }[] } }) =>
      d.status.conditions?.find((c) => c.type === 'Synchronized');

    test('Synchronized=False with the failure reason and message, and one Warning Event', () => {
      const d = decideVmi({
        vmi: vmi('Scheduled'),
        pods: [failing('NetworkAttachmentDefinitionNotFound')],
        now: NOW,
      });
      expect(d.status.phase).toBe('Scheduled');
      expect(sync(d)).toEqual({
        type: 'Synchronized',
        status: 'False',
        reason: 'NetworkAttachmentDefinitionNotFound',
        message: MESSAGE,
        lastProbeTime: null,
        lastTransitionTime: '2025-01-01T12:00:00Z',
      });
      expect(d.events).toEqual([
        { type: 'Warning', reason: 'NetworkAttachmentDefinitionNotFound', message: MESSAGE },
      ]);
    });

    test("the runtime's retries (same reason and message) add no Event and keep the transition time", () => {
      const first = decideVmi({ vmi: vmi('Scheduled'), pods: [failing('PluginNotFound')], now: NOW });
      const again = decideVmi({
        vmi: { ...vmi('Scheduled'), status: first.status },
        pods: [failing('PluginNotFound')],
        now: new Date('2025-01-01T12:05:00Z'),
      });
      expect(again.events).toEqual([]);
      expect(again.status).toEqual(first.status);
    });

    test('a new message (the NAD now exists but does not parse) is a new Event', () => {
      const first = decideVmi({
        vmi: vmi('Scheduled'),
        pods: [failing('NetworkAttachmentDefinitionNotFound')],
        now: NOW,
      });
      const bad =
        'Failed to create pod sandbox: invalid CNI network configuration ns/nope: $: not JSON; fix it';
      const next = decideVmi({
        vmi: { ...vmi('Scheduled'), status: first.status },
        pods: [failing('InvalidNetworkConfig', bad)],
        now: NOW,
      });
      expect(sync(next)).toMatchObject({ status: 'False', reason: 'InvalidNetworkConfig', message: bad });
      expect(next.events).toEqual([{ type: 'Warning', reason: 'InvalidNetworkConfig', message: bad }]);
    });

    test('a reason the controller does not know, or none, is FailedCreatePodSandBox', () => {
      for (const reason of [undefined, 'SomethingNew'])
        expect(sync(decideVmi({ vmi: vmi('Scheduled'), pods: [failing(reason)], now: NOW }))).toMatchObject({
          reason: 'FailedCreatePodSandBox',
          message: MESSAGE,
        });
    });

    test("kubelet's own PodReadyToStartContainers=False without a message (sandbox being made) is not a failure", () => {
      const d = decideVmi({ vmi: vmi('Scheduled'), pods: [failing(undefined, '')], now: NOW });
      expect(sync(d)).toBeUndefined();
      expect(d.events).toEqual([]);
    });

    test('the condition goes once the sandbox is up and the pod runs; other Synchronized reasons stay', () => {
      const failed = decideVmi({ vmi: vmi('Scheduled'), pods: [failing('PluginFailed')], now: NOW });
      const up = pod({ node: 'n1', phase: 'Running' });
      up.status!.conditions = [{ type: 'PodReadyToStartContainers', status: 'True' }];
      for (const phase of ['Scheduled', 'Running'] as const) {
        const d = decideVmi({
          vmi: { ...vmi(phase), status: { ...failed.status, phase } },
          pods: [up],
          now: NOW,
        });
        expect(sync(d)).toBeUndefined();
        expect(d.events).toEqual([]);
      }
      const other = vmi('Running');
      other.status!.conditions = [
        { type: 'Synchronized', status: 'False', reason: 'InvalidSpec', message: 'x' },
      ];
      expect(sync(decideVmi({ vmi: other, pods: [up], now: NOW }))).toMatchObject({ reason: 'InvalidSpec' });
    });
  });

  test('Running (written by the handler) is never overridden, nor its Ready condition', () => {
    const running = vmi('Running');
    running.status!.conditions = [{ type: 'Ready', status: 'True' }];
    const d = decideVmi({ vmi: running, pods: [pod({ node: 'n1', phase: 'Running' })], now: NOW });
    expect(d.status.phase).toBe('Running');
    expect(d.status.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  });

  test('the pod ends: Succeeded after Running, Failed otherwise', () => {
    expect(
      decideVmi({ vmi: vmi('Running'), pods: [pod({ node: 'n1', phase: 'Succeeded' })], now: NOW }).status
        .phase,
    ).toBe('Succeeded');
    expect(
      decideVmi({ vmi: vmi('Running'), pods: [pod({ node: 'n1', phase: 'Failed' })], now: NOW }).status.phase,
    ).toBe('Failed');
    expect(
      decideVmi({ vmi: vmi('Scheduled'), pods: [pod({ node: 'n1', phase: 'Succeeded' })], now: NOW }).status
        .phase,
    ).toBe('Failed');
  });

  test('the pod vanished while the VMI was running: Failed, with a Warning event', () => {
    const d = decideVmi({ vmi: vmi('Running'), pods: [], now: NOW });
    expect(d.status).toMatchObject({ phase: 'Failed', reason: 'PodVanished' });
    expect(d.events[0]).toMatchObject({ type: 'Warning' });
  });

  test('a final VMI gets its live pods deleted and is never revived', () => {
    const d = decideVmi({ vmi: vmi('Failed'), pods: [pod({ node: 'n1', phase: 'Running' })], now: NOW });
    expect(d.deletePods).toEqual([{ name: 'virt-launcher-demo-abcde', uid: 'pod-uid' }]);
    expect(d.status.phase).toBe('Failed');
    expect(d.createPod).toBeUndefined();
  });

  test('a deleted VMI: pods deleted; once they are gone the finalizer goes and an unfinished VMI is Failed', () => {
    const deleted = vmi('Scheduled', {});
    deleted.metadata!.deletionTimestamp = '2025-01-01T11:59:00Z';
    const first = decideVmi({ vmi: deleted, pods: [pod({ node: 'n1' })], now: NOW });
    expect(first.deletePods).toHaveLength(1);
    expect(first.removeFinalizer).toBeUndefined();
    const waiting = decideVmi({ vmi: deleted, pods: [pod({ node: 'n1', deleting: true })], now: NOW });
    expect(waiting.deletePods).toEqual([]);
    const gone = decideVmi({ vmi: deleted, pods: [], now: NOW });
    expect(gone.removeFinalizer).toBe(true);
    expect(gone.status.phase).toBe('Failed');
  });
});

describe('VMI phase tracking during a live migration', () => {
  const source = (phase = 'Running'): LauncherPod => ({
    ...pod({ node: 'node-a', phase }),
    metadata: {
      name: 'virt-launcher-demo-srcxx',
      uid: 'source-uid',
      creationTimestamp: '2025-01-01T11:00:01Z',
    },
  });
  const target = (phase = 'Running', node: string | undefined = 'node-b'): LauncherPod => ({
    ...pod({ node, phase }),
    metadata: {
      name: 'virt-launcher-demo-tgtxx',
      uid: 'target-uid',
      labels: { 'kubevirt.io/migrationJobUID': 'vmim-uid' },
      // Created in the same second as the source pod: order must not decide which is the VMI's.
      creationTimestamp: '2025-01-01T11:00:01Z',
    },
  });
  const running = (migrationState?: NonNullable<VirtualMachineInstance['status']>['migrationState']) => {
    const v = vmi('Running');
    v.metadata!.labels = { ...v.metadata!.labels, 'kubevirt.io/nodeName': 'node-a' };
    v.status = {
      ...v.status,
      nodeName: 'node-a',
      activePods: { 'source-uid': 'node-a' },
      conditions: [{ type: 'Ready', status: 'True' }],
      ...(migrationState ? { migrationState } : {}),
    };
    return v;
  };
  const inFlight = {
    migrationUid: 'vmim-uid',
    sourceNode: 'node-a',
    sourcePod: 'virt-launcher-demo-srcxx',
    targetNode: 'node-b',
    targetPod: 'virt-launcher-demo-tgtxx',
  };

  test("the target pod is not the VMI's pod before the hand-over: nothing moves, nothing is recorded", () => {
    for (const t of [target('Pending', undefined), target('Pending'), target('Running'), target('Failed')]) {
      const v = running(inFlight);
      const d = decideVmi({ vmi: v, pods: [source(), t], now: NOW });
      expect(d.status).toEqual(v.status);
      expect(d.nodeNameLabel).toBeUndefined();
      expect(d.deletePods).toEqual([]);
      expect(d.createPod).toBeUndefined();
      expect(d.events).toEqual([]);
    }
  });

  test("once handed over to the target node the target pod is the VMI's pod", () => {
    const v = running({ ...inFlight, completed: true, targetNodeDomainDetected: true });
    v.status!.nodeName = 'node-b';
    const d = decideVmi({ vmi: v, pods: [source('Succeeded'), target()], now: NOW });
    expect(d.status.phase).toBe('Running');
    expect(d.status.nodeName).toBe('node-b');
    expect(d.status.activePods).toMatchObject({ 'target-uid': 'node-b' });
    expect(d.nodeNameLabel).toBe('node-b');
    expect(d.events).toEqual([]);
  });

  test('the source pod ending Succeeded after a completed migration does not end the VMI', () => {
    const v = running({ ...inFlight, completed: true });
    for (const pods of [[source('Succeeded'), target()], [target()]]) {
      const d = decideVmi({ vmi: v, pods, now: NOW });
      expect(d.status).toEqual(v.status);
      expect(d.events).toEqual([]);
    }
  });

  test('…but when the target pod is gone as well the guest is lost: Failed, and says why', () => {
    const v = running({ ...inFlight, completed: true });
    const d = decideVmi({ vmi: v, pods: [source('Succeeded')], now: NOW });
    expect(d.status.phase).toBe('Failed');
    expect(d.events).toEqual([
      expect.objectContaining({
        type: 'Warning',
        message: expect.stringContaining('target pod virt-launcher-demo-tgtxx is gone'),
      }),
    ]);
  });

  test('the source pod failing during a migration still fails the VMI; a failed migration does not', () => {
    expect(
      decideVmi({ vmi: running(inFlight), pods: [source('Failed'), target()], now: NOW }).status.phase,
    ).toBe('Failed');
    // The source ends Succeeded without a completed migration: the guest shut down.
    expect(
      decideVmi({
        vmi: running({ ...inFlight, failed: true }),
        pods: [source('Succeeded'), target('Failed')],
        now: NOW,
      }).status.phase,
    ).toBe('Succeeded');
  });

  test('a deleted or final VMI gets its target pods deleted too', () => {
    const deleted = running(inFlight);
    deleted.metadata!.deletionTimestamp = '2025-01-01T11:59:00Z';
    expect(decideVmi({ vmi: deleted, pods: [source(), target()], now: NOW }).deletePods).toEqual([
      { name: 'virt-launcher-demo-srcxx', uid: 'source-uid' },
      { name: 'virt-launcher-demo-tgtxx', uid: 'target-uid' },
    ]);
    const final = running(inFlight);
    final.status!.phase = 'Failed';
    expect(decideVmi({ vmi: final, pods: [source('Failed'), target()], now: NOW }).deletePods).toEqual([
      { name: 'virt-launcher-demo-tgtxx', uid: 'target-uid' },
    ]);
  });
});
