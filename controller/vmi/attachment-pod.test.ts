import {
  attachmentPodPlan,
  currentLauncherPod,
  hotplugClaims,
  mayHaveAttachmentPods,
} from './attachment-pod';

const launcher = { name: 'virt-launcher-vm1-abcde', uid: 'pod-uid' };
const vmi = (phase = 'Running', hot = true) =>
  ({
    metadata: { name: 'vm1', namespace: 'ns', uid: 'vmi-uid' },
    spec: {
      domain: { devices: {} },
      volumes: [
        { name: 'root', persistentVolumeClaim: { claimName: 'root-pvc' } },
        ...(hot
          ? [{ name: 'data', persistentVolumeClaim: { claimName: 'data-pvc', hotpluggable: true } }]
          : []),
        { name: 'dv', dataVolume: { name: 'dv-1', hotpluggable: hot } },
      ],
    },
    status: { phase, nodeName: 'node-a' },
  }) as never;

const existing = (name: string, claims: [string, string][], phase = 'Running') => ({
  metadata: {
    name,
    uid: `${name}-uid`,
    labels: { 'kubevirt.io': 'hotplug-disk' },
    ownerReferences: [{ uid: 'pod-uid', controller: true }],
  },
  spec: {
    volumes: claims.map(([volume, claimName]) => ({ name: volume, persistentVolumeClaim: { claimName } })),
  },
  status: { phase },
});

describe('hotplug attachment pod', () => {
  it('renders KubeVirt pod: hp-volume-*, kubevirt.io=hotplug-disk, owned by the launcher pod, pinned to the node', () => {
    expect(hotplugClaims(vmi()).map((c) => c.claimName)).toEqual(['data-pvc', 'dv-1']);
    const plan = attachmentPodPlan(vmi(), launcher, []);
    const pod = plan.create!;
    expect(pod.metadata.name).toMatch(/^hp-volume-[a-z0-9]{5}$/);
    expect(pod.metadata.labels).toEqual({ 'kubevirt.io': 'hotplug-disk' });
    expect(pod.metadata.ownerReferences[0]).toMatchObject({ kind: 'Pod', uid: 'pod-uid', controller: true });
    expect(JSON.stringify(pod.spec.affinity)).toContain('"values":["node-a"]');
    expect(pod.spec.nodeName).toBeUndefined();
    expect(pod.spec.volumes).toEqual([
      { name: 'data', persistentVolumeClaim: { claimName: 'data-pvc' } },
      { name: 'dv', persistentVolumeClaim: { claimName: 'dv-1' } },
    ]);
    expect(attachmentPodPlan(vmi(), launcher, []).create!.metadata.name).toBe(pod.metadata.name);
  });

  it('keeps the pod of the current set, replaces it when the set changes, removes all when none is left', () => {
    const cur = existing('hp-volume-aaaaa', [
      ['data', 'data-pvc'],
      ['dv', 'dv-1'],
    ]);
    expect(attachmentPodPlan(vmi(), launcher, [cur])).toEqual({ delete: [] });
    const old = existing('hp-volume-bbbbb', [['data', 'data-pvc']]);
    expect(attachmentPodPlan(vmi(), launcher, [old]).create).toBeDefined();
    expect(attachmentPodPlan(vmi(), launcher, [old, cur]).delete).toEqual([
      { name: 'hp-volume-bbbbb', uid: 'hp-volume-bbbbb-uid' },
    ]);
    expect(
      attachmentPodPlan(vmi(), launcher, [old, { ...cur, status: { phase: 'Pending' } }]).delete,
    ).toEqual([]);
    expect(attachmentPodPlan(vmi('Running', false), launcher, [cur]).delete).toHaveLength(1);
    expect(attachmentPodPlan(vmi('Scheduled'), launcher, [])).toEqual({ delete: [] });
  });

  it('finds the launcher pod on the VMI node, and knows when to look at all', () => {
    expect(
      currentLauncherPod({ status: { nodeName: 'node-a' } } as never, [
        { metadata: { name: 'x', uid: '1' }, spec: { nodeName: 'node-b' } },
        { metadata: { name: 'y', uid: '2' }, spec: { nodeName: 'node-a' } },
      ]),
    ).toEqual({ name: 'y', uid: '2' });
    expect(mayHaveAttachmentPods(vmi('Running', false))).toBe(false);
    expect(
      mayHaveAttachmentPods({
        spec: {},
        status: { volumeStatus: [{ name: 'x', target: '', hotplugVolume: {} }] },
      } as never),
    ).toBe(true);
  });
});
