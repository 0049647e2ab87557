/**
 * The layout of a launcher pod that its three parties share (constants only): the controller
 * renders it (controller/vmi/launcher-pod.ts), the launcher runs in it (launcher/handoff.ts),
 * and in cluster mode the node's handler reaches its folders under kubelet's pod folders
 * (handler/kubelet/handoff-plan.ts). KubeVirt's paths where KubeVirt has them.
 */

/**
 * KubeVirt's device resources: the node's handler advertises them (its device plugins, or the
 * process runtime's Node capacity) and launcher pods ask for them (tun always, kvm unless the
 * cluster allows software emulation).
 */
export const KVM_RESOURCE = 'devices.kubevirt.io/kvm';
export const TUN_RESOURCE = 'devices.kubevirt.io/tun';
export const VHOST_NET_RESOURCE = 'devices.kubevirt.io/vhost-net';

/** The launcher's private work folder (overlays, QEMU's sockets, final-status.json): an emptyDir. */
export const WORK_DIR = '/var/run/kubevirt-private';
export const PRIVATE_VOLUME = 'private';
/** Where each volume's files are in the compute container (`<DISKS_DIR>/<volume>`). */
export const DISKS_DIR = '/var/run/kubevirt-private/vmi-disks';
/**
 * The launcher's folder shared with the node's handler (virt-launcher's socket folder): an
 * emptyDir the handler reaches under kubelet's pod folders; the hand-off files and the control
 * socket are there.
 */
export const SOCKETS_DIR = '/var/run/kubevirt/sockets';
export const SOCKETS_VOLUME = 'sockets';
/** The launcher's control socket in SOCKETS_DIR (the handler and `virtkit probe` call it). */
export const LAUNCHER_SOCKET_FILE = 'launcher.sock';
/**
 * The pod's `net.ipv4.ip_unprivileged_port_start`: the launcher (not root) serves its guests'
 * DHCP on port 67 (launcher/network/dhcp/server.ts's DHCP_SERVER_PORT) in the pod's namespace.
 */
export const UNPRIVILEGED_PORT_SYSCTL = 'net.ipv4.ip_unprivileged_port_start';
export const LAUNCHER_UNPRIVILEGED_PORT_START = 67;
/**
 * The launcher pod's readiness gate (KubeVirt's VirtualMachineUnpaused pod condition): the VMI
 * controller sets it False while the guest is paused and True otherwise, so a paused VM's pod,
 * and so its VMI, is not Ready (controller/vmi/unpaused-condition.ts).
 */
export const UNPAUSED_POD_CONDITION = 'kubevirt.io/virtual-machine-unpaused';
