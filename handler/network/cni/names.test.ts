import { PodIdentityError } from './errors';
import {
  checkIfName,
  checkPodIdentity,
  containerIdFor,
  instanceTag,
  isOwnNetns,
  netnsNameFor,
} from './names';

const pod = { namespace: 'default', name: 'virt-launcher-vm-x', uid: '0b1c2d3e-aaaa-4bbb-8ccc-123456789abc' };

describe('names of pod network things', () => {
  it('names a namespace after the handler instance and the pod, deterministically', () => {
    const tag = instanceTag('/var/lib/virtkit');
    expect(tag).toMatch(/^[0-9a-f]{8}$/);
    expect(instanceTag('/var/lib/virtkit/')).toBe(tag);
    expect(instanceTag('/var/lib/virtkit-node2')).not.toBe(tag);
    const name = netnsNameFor(tag, pod.uid);
    expect(name).toMatch(new RegExp(`^vk-${tag}-[0-9a-f]{12}$`));
    expect(netnsNameFor(tag, pod.uid)).toBe(name);
    expect(netnsNameFor(tag, 'other')).not.toBe(name);
    expect(isOwnNetns(name, tag)).toBe(true);
    expect(isOwnNetns(name, instanceTag('/elsewhere'))).toBe(false);
    expect(isOwnNetns('cni-1234', tag)).toBe(false);
  });

  it('uses the pod uid as the container id', () => {
    expect(containerIdFor(pod)).toBe(pod.uid);
  });

  it('refuses values that are unsafe in CNI_ARGS or file names', () => {
    expect(() => checkPodIdentity(pod)).not.toThrow();
    expect(() => checkPodIdentity({ ...pod, uid: '../x' })).toThrow(PodIdentityError);
    expect(() => checkPodIdentity({ ...pod, name: 'a;K8S_POD_UID=evil' })).toThrow(
      /metadata.name "a;K8S_POD_UID=evil": is not a DNS-1123 subdomain/,
    );
    expect(() => checkPodIdentity({ ...pod, namespace: 'Default' })).toThrow(PodIdentityError);
    expect(() => checkIfName('eth0')).not.toThrow();
    expect(() => checkIfName('net1234567890123')).toThrow(/interface name/);
    expect(() => checkIfName('a/b')).toThrow(PodIdentityError);
  });
});
