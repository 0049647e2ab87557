import { inNode, inNodeMounts, NODE_MOUNTS_DIR, nodeMountPlan } from './node-mounts';

describe("a kubelet node's mount namespace", () => {
  test("binds the node's own folders where kubelet, the handler, the launchers and CNI look", () => {
    expect(nodeMountPlan('virtkit-node-1', '/s/nodes/virtkit-node-1')).toEqual({
      file: `${NODE_MOUNTS_DIR}/virtkit-node-1`,
      binds: [
        { source: '/s/nodes/virtkit-node-1/kubelet', target: '/var/lib/kubelet' },
        { source: '/s/nodes/virtkit-node-1/host/var-lib-virtkit', target: '/var/lib/virtkit' },
        { source: '/s/nodes/virtkit-node-1/host/run-virtkit', target: '/run/virtkit' },
        { source: '/s/nodes/virtkit-node-1/host/netns', target: '/run/netns' },
      ],
    });
  });

  test("the node's daemons enter its network and mount namespaces (nsenter: ip netns exec would remount /sys)", () => {
    expect(inNode('n1', '/usr/bin/containerd', ['--config', 'c.toml'])).toEqual({
      binary: 'nsenter',
      args: [
        '--net=/run/netns/vkn-n1',
        `--mount=${NODE_MOUNTS_DIR}/n1`,
        '--',
        '/usr/bin/containerd',
        '--config',
        'c.toml',
      ],
    });
    expect(inNodeMounts('n1', 'ip', ['netns', 'del', 'cni-1'])).toEqual({
      binary: 'nsenter',
      args: [`--mount=${NODE_MOUNTS_DIR}/n1`, '--', 'ip', 'netns', 'del', 'cni-1'],
    });
  });
});
