/**
 * KubeVirt's admission rules for a VirtualMachineInstance spec, with KubeVirt's wording,
 * as pure functions. `base` is where the spec sits: `spec` in a VMI,
 * `spec.template.spec` in a VM, pool or replica set.
 */
import { error, field, index, type Issue } from '../../../validation/issue';
import { parseQuantity } from '../../../quantity';
import { dig, has, record, records, str, type Json } from '../../../validation/readers';
import { enabledMarker } from './util';
import { checkNames } from './names';
import { checkNodeValues } from './node-values';
import { checkDhcpOptions } from './dhcp-options';
import { DISK_BUSES } from '../devices-disks';
import { EVICTION_STRATEGIES } from '../vmi';
import { INTERFACE_MODELS } from '../devices-interfaces';
import { STATIC_MASQUERADE_BRIDGE_MAC } from '../networks';

// Value sets the schema defines, re-exported under the names the rules module always offered.
// The interface models come from the schema so the rule accepts every model KubeVirt does (igb too).
export { DISK_BUSES, EVICTION_STRATEGIES, INTERFACE_MODELS };

/** Volume source fields of KubeVirt's Volume; exactly one must be set. */
export const VOLUME_SOURCES = [
  'persistentVolumeClaim',
  'sysprep',
  'cloudInitNoCloud',
  'cloudInitConfigDrive',
  'containerDisk',
  'ephemeral',
  'emptyDisk',
  'hostDisk',
  'dataVolume',
  'configMap',
  'secret',
  'downwardAPI',
  'serviceAccount',
  'downwardMetrics',
  'memoryDump',
  'containerPath',
] as const;

export const INTERFACE_BINDINGS = [
  'bridge',
  'masquerade',
  'sriov',
  'slirp',
  'macvtap',
  'passt',
  'passtBinding',
  'binding',
] as const;
/** Network source fields; exactly one is set on each network. */
export const NETWORK_SOURCES = ['pod', 'multus', 'resourceClaim'] as const;
/** KubeVirt's size limit for inline cloud-init user-data and network-data. */
export const CLOUD_INIT_MAX_BYTES = 2048;

const SERIAL_RE = /^[A-Za-z0-9_.+-]+$/;
const DNS_LABEL_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const MAC_RE = /^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$/;

function diskTargets(disk: Json): string[] {
  return ['disk', 'lun', 'cdrom'].filter((t) => has(disk, t));
}

function checkDisks(spec: Json, base: string): Issue[] {
  const issues: Issue[] = [];
  const disksPath = `${base}.domain.devices.disks`;
  const disks = records(dig(spec, 'domain', 'devices', 'disks'));
  const volumeNames = new Set(records(spec.volumes).map((v) => str(v.name)));
  const seen = new Map<string, number>();
  disks.forEach((disk, i) => {
    const at = index(disksPath, i);
    const name = str(disk.name) ?? '';
    if (seen.has(name)) {
      issues.push(
        error(
          field(at, 'name'),
          `${at} and ${index(disksPath, seen.get(name)!)} must not have the same Name.`,
          'vmi.disk-name-unique',
        ),
      );
    } else seen.set(name, i);
    if (!volumeNames.has(name) && !has(disk, 'cdrom')) {
      issues.push(
        error(
          field(at, 'name'),
          `${field(at, 'Name')} '${name}' not found. Add a volume named "${name}" to ${base}.volumes.`,
          'vmi.disk-without-volume',
        ),
      );
    }
    const targets = diskTargets(disk);
    if (targets.length > 1)
      issues.push(error(at, `${at} can only have a single target type defined`, 'vmi.disk-single-target'));
    const target = targets[0];
    const bus = target ? str(dig(disk, target, 'bus')) : undefined;
    if (bus) {
      const busPath = field(field(at, target), 'bus');
      if (bus === 'ide') issues.push(error(busPath, 'IDE bus is not supported', 'vmi.disk-bus-ide'));
      else if (!(DISK_BUSES as readonly string[]).includes(bus)) {
        issues.push(
          error(
            busPath,
            `${at} is set with an unrecognized bus ${bus}, must be one of: [${DISK_BUSES.join(' ')}]`,
            'vmi.disk-bus-unknown',
          ),
        );
      } else if (bus === 'virtio' && target === 'cdrom') {
        issues.push(error(busPath, `Bus type ${bus} is invalid for CD-ROM device`, 'vmi.cdrom-virtio'));
      } else if (bus === 'sata' && target === 'disk' && dig(disk, 'disk', 'readonly') === true) {
        issues.push(error(busPath, `${bus} hard-disks do not support read-only.`, 'vmi.sata-readonly'));
      }
      if (disk.dedicatedIOThread === true && bus !== 'virtio') {
        issues.push(error(at, `IOThreads are not supported for disks on a ${bus} bus`, 'vmi.iothread-bus'));
      }
    }
    if (typeof disk.bootOrder === 'number' && disk.bootOrder < 1) {
      issues.push(
        error(
          field(at, 'bootOrder'),
          `${at} must have a boot order > 0, if supplied`,
          'vmi.boot-order-positive',
        ),
      );
    }
    const serial = str(disk.serial);
    if (serial && !SERIAL_RE.test(serial)) {
      issues.push(
        error(
          field(at, 'serial'),
          `${at} must be made up of the following characters [A-Za-z0-9_.+-], if specified`,
          'vmi.disk-serial',
        ),
      );
    }
    if (serial && serial.length > 256) {
      issues.push(
        error(
          field(at, 'serial'),
          `${at} must be less than or equal to 256 in length, if specified`,
          'vmi.disk-serial-length',
        ),
      );
    }
    const cache = str(disk.cache);
    if (cache && !['none', 'writethrough', 'writeback'].includes(cache)) {
      issues.push(
        error(
          field(at, 'cache'),
          `${field(at, 'cache')} has invalid value ${cache}; use none, writethrough or writeback`,
          'vmi.disk-cache',
        ),
      );
    }
    const io = str(disk.io);
    if (io && !['native', 'threads'].includes(io)) {
      issues.push(
        error(
          field(at, 'io'),
          `Disk IO mode for ${base} is not supported. Supported modes are: native, threads.`,
          'vmi.disk-io',
        ),
      );
    }
    const policy = str(disk.errorPolicy);
    if (policy && !['stop', 'ignore', 'report', 'enospace'].includes(policy)) {
      issues.push(
        error(
          field(at, 'errorPolicy'),
          `${field(at, 'errorPolicy')} has invalid value "${policy}"; use stop, ignore, report or enospace`,
          'vmi.disk-error-policy',
        ),
      );
    }
  });
  return issues;
}

function checkBootOrderUnique(spec: Json, base: string): Issue[] {
  const issues: Issue[] = [];
  const used = new Set<number>();
  const visit = (list: Json[], listPath: string) =>
    list.forEach((item, i) => {
      const order = item.bootOrder;
      if (typeof order !== 'number' || order < 1) return;
      const at = field(index(listPath, i), 'bootOrder');
      if (used.has(order))
        issues.push(
          error(at, `Boot order for ${at} already set for a different device.`, 'vmi.boot-order-unique'),
        );
      used.add(order);
    });
  visit(records(dig(spec, 'domain', 'devices', 'disks')), `${base}.domain.devices.disks`);
  visit(records(dig(spec, 'domain', 'devices', 'interfaces')), `${base}.domain.devices.interfaces`);
  return issues;
}

function cloudInitBytes(text: string | undefined, b64: string | undefined): number {
  if (b64) return Buffer.from(b64, 'base64').length;
  return text ? Buffer.byteLength(text, 'utf8') : 0;
}

function checkCloudInit(volume: Json, at: string, issues: Issue[]): void {
  for (const source of ['cloudInitNoCloud', 'cloudInitConfigDrive']) {
    const ci = record(volume[source]);
    if (!ci) continue;
    const cp = field(at, source);
    const userSources = [
      has(record(ci.secretRef), 'name'),
      !!str(ci.userDataBase64),
      !!str(ci.userData),
    ].filter(Boolean).length;
    const netSources = [
      has(record(ci.networkDataSecretRef), 'name'),
      !!str(ci.networkDataBase64),
      !!str(ci.networkData),
    ].filter(Boolean).length;
    for (const key of ['userDataBase64', 'networkDataBase64']) {
      const v = str(ci[key]);
      if (v && !/^[A-Za-z0-9+/]*={0,2}$/.test(v.replace(/\s/g, ''))) {
        issues.push(
          error(field(cp, key), `${field(cp, key)} is not a valid base64 value.`, 'vmi.cloud-init-base64'),
        );
      }
    }
    if (userSources > 1)
      issues.push(error(cp, `${cp} must have only one userdatasource set.`, 'vmi.cloud-init-one-userdata'));
    if (netSources > 1)
      issues.push(
        error(cp, `${cp} must have only one networkdata source set.`, 'vmi.cloud-init-one-networkdata'),
      );
    if (cloudInitBytes(str(ci.userData), str(ci.userDataBase64)) > CLOUD_INIT_MAX_BYTES) {
      issues.push(
        error(
          cp,
          `${cp} userdata exceeds ${CLOUD_INIT_MAX_BYTES} byte limit. Should use UserDataSecretRef for larger data.`,
          'vmi.cloud-init-userdata-size',
        ),
      );
    }
    if (cloudInitBytes(str(ci.networkData), str(ci.networkDataBase64)) > CLOUD_INIT_MAX_BYTES) {
      issues.push(
        error(
          cp,
          `${cp} networkdata exceeds ${CLOUD_INIT_MAX_BYTES} byte limit. Should use NetworkDataSecretRef for larger data.`,
          'vmi.cloud-init-networkdata-size',
        ),
      );
    }
    if (userSources === 0 && netSources === 0) {
      issues.push(
        error(
          cp,
          `${cp} must have at least one userdatasource or one networkdatasource set.`,
          'vmi.cloud-init-empty',
        ),
      );
    }
  }
}

function checkVolumes(spec: Json, base: string): Issue[] {
  const issues: Issue[] = [];
  const volumesPath = `${base}.volumes`;
  const seen = new Map<string, number>();
  const counts = { serviceAccount: 0, downwardMetrics: 0, memoryDump: 0 };
  const diskOrFs = new Set([
    ...records(dig(spec, 'domain', 'devices', 'disks')).map((d) => str(d.name)),
    ...records(dig(spec, 'domain', 'devices', 'filesystems')).map((d) => str(d.name)),
  ]);
  records(spec.volumes).forEach((volume, i) => {
    const at = index(volumesPath, i);
    const name = str(volume.name) ?? '';
    if (seen.has(name)) {
      issues.push(
        error(
          field(at, 'name'),
          `${at} and ${index(volumesPath, seen.get(name)!)} must not have the same Name.`,
          'vmi.volume-name-unique',
        ),
      );
    } else seen.set(name, i);
    const sources = VOLUME_SOURCES.filter((s) => has(volume, s));
    if (sources.length !== 1) {
      const detail = sources.length
        ? `it has ${sources.join(' and ')}`
        : `set one of ${VOLUME_SOURCES.join(', ')}`;
      issues.push(
        error(at, `${at} must have exactly one source type set; ${detail}`, 'vmi.volume-one-source'),
      );
    }
    for (const k of Object.keys(counts) as (keyof typeof counts)[]) if (has(volume, k)) counts[k]++;
    if (!has(volume, 'memoryDump') && name && !diskOrFs.has(name)) {
      issues.push(
        error(
          field(at, 'name'),
          `${field(at, 'name')} '${name}' not found. Add a disk or filesystem named "${name}" to ${base}.domain.devices.`,
          'vmi.volume-without-disk',
        ),
      );
    }
    if (has(volume, 'dataVolume') && !str(dig(volume, 'dataVolume', 'name'))) {
      issues.push(
        error(field(field(at, 'dataVolume'), 'name'), "DataVolume 'name' must be set", 'vmi.datavolume-name'),
      );
    }
    checkCloudInit(volume, at, issues);
    const hostDisk = record(volume.hostDisk);
    if (hostDisk) {
      const hp = field(at, 'hostDisk');
      if (!str(hostDisk.path))
        issues.push(
          error(
            field(hp, 'path'),
            `${field(hp, 'path')} is required for hostDisk volume`,
            'vmi.hostdisk-path',
          ),
        );
      const type = str(hostDisk.type);
      if (type !== 'Disk' && type !== 'DiskOrCreate') {
        issues.push(
          error(
            field(hp, 'type'),
            `${field(hp, 'type')} has invalid value '${type ?? ''}', allowed are 'Disk' or 'DiskOrCreate'`,
            'vmi.hostdisk-type',
          ),
        );
      }
      if (type === 'Disk' && hostDisk.capacity !== undefined && parseQuantity(hostDisk.capacity) !== 0) {
        issues.push(
          error(
            field(hp, 'capacity'),
            `${field(hp, 'capacity')} is allowed to pass only with ${field(hp, 'type')} equal to 'DiskOrCreate'`,
            'vmi.hostdisk-capacity',
          ),
        );
      }
    }
    const requiredName: [string, string][] = [
      ['configMap', 'name'],
      ['secret', 'secretName'],
      ['serviceAccount', 'serviceAccountName'],
    ];
    for (const [src, key] of requiredName) {
      if (has(volume, src) && !str(dig(volume, src, key))) {
        const p = field(field(at, src), key);
        issues.push(error(p, `${p} is a required field`, 'vmi.volume-ref-name'));
      }
    }
    const cdPath = str(dig(volume, 'containerDisk', 'path'));
    if (cdPath) {
      const p = field(field(at, 'containerDisk'), 'path');
      if (cdPath === '/')
        issues.push(
          error(p, `${field(at, 'containerDisk')} must not point to root`, 'vmi.containerdisk-path'),
        );
      else if (!cdPath.startsWith('/') || cdPath.split('/').some((s) => s === '..' || s === '.')) {
        issues.push(
          error(
            p,
            `${field(at, 'containerDisk')} must be an absolute path to a file without relative components`,
            'vmi.containerdisk-path',
          ),
        );
      }
    }
  });
  if (counts.serviceAccount > 1)
    issues.push(
      error(
        volumesPath,
        `${volumesPath} must have max one serviceAccount volume set`,
        'vmi.one-serviceaccount',
      ),
    );
  if (counts.downwardMetrics > 1)
    issues.push(
      error(
        volumesPath,
        `${volumesPath} must have max one downwardMetric volume set`,
        'vmi.one-downwardmetrics',
      ),
    );
  if (counts.memoryDump > 1)
    issues.push(
      error(volumesPath, `${volumesPath} must have max one memory dump volume set`, 'vmi.one-memorydump'),
    );
  return issues;
}

function checkNetworks(spec: Json, base: string): Issue[] {
  const issues: Issue[] = [];
  const ifacesPath = `${base}.domain.devices.interfaces`;
  const networksPath = `${base}.networks`;
  const interfaces = records(dig(spec, 'domain', 'devices', 'interfaces'));
  const networks = records(spec.networks);
  const networkByName = new Map<string, Json>();
  networks.forEach((net, i) => {
    const at = index(networksPath, i);
    const name = str(net.name) ?? '';
    if (networkByName.has(name)) {
      issues.push(
        error(
          field(at, 'name'),
          `Network with name "${name}" already exists, every network must have a unique name`,
          'vmi.network-name-unique',
        ),
      );
    }
    networkByName.set(name, net);
    const sources = NETWORK_SOURCES.filter((source) => has(net, source));
    if (!sources.length)
      issues.push(
        error(
          at,
          'should have a network type; set pod: {}, multus: {networkName: ...} or resourceClaim: {claimName: ...}',
          'vmi.network-source',
        ),
      );
    else if (sources.length > 1)
      issues.push(error(at, 'should have only one network type', 'vmi.network-source'));
    if (has(net, 'multus') && !str(dig(net, 'multus', 'networkName'))) {
      issues.push(error(at, 'CNI delegating plugin must have a networkName', 'vmi.multus-network-name'));
    }
    if (!interfaces.some((iface) => iface.name === name)) {
      issues.push(
        error(
          field(at, 'name'),
          `${field(at, 'name')} '${name}' not found. Add an interface named "${name}" to ${ifacesPath}.`,
          'vmi.network-without-interface',
        ),
      );
    }
  });
  const podNetworks = networks.filter((n) => has(n, 'pod'));
  if (podNetworks.length > 1) {
    issues.push(
      error(
        `${base}.interfaces`,
        `more than one interface is connected to a pod network in ${base}.interfaces`,
        'vmi.one-pod-network',
      ),
    );
  }
  const multusDefaults = networks.filter((n) => dig(n, 'multus', 'default') === true);
  if (multusDefaults.length > 1)
    issues.push(
      error(networksPath, 'Multus CNI should only have one default network', 'vmi.one-multus-default'),
    );
  if (podNetworks.length && multusDefaults.length) {
    issues.push(
      error(
        networksPath,
        'Pod network cannot be defined when Multus default network is defined',
        'vmi.pod-and-multus-default',
      ),
    );
  }
  const ifaceNames = new Set<string>();
  interfaces.forEach((iface, i) => {
    const at = index(ifacesPath, i);
    const name = str(iface.name) ?? '';
    if (ifaceNames.has(name))
      issues.push(
        error(
          field(at, 'name'),
          'Only one interface can be connected to one specific network',
          'vmi.interface-name-unique',
        ),
      );
    ifaceNames.add(name);
    const net = networkByName.get(name);
    if (!net) {
      issues.push(
        error(
          field(at, 'name'),
          `${field(at, 'name')} '${name}' not found. Add a network named "${name}" to ${networksPath}.`,
          'vmi.interface-without-network',
        ),
      );
    }
    const bindings = INTERFACE_BINDINGS.filter((b) => has(iface, b));
    if (bindings.includes('binding') && bindings.length > 1) {
      issues.push(
        error(
          field(at, 'binding'),
          `logical ${name} interface cannot have both binding plugin and interface binding method`,
          'vmi.interface-one-binding',
        ),
      );
    } else if (bindings.length > 1) {
      issues.push(
        error(
          at,
          `${at} must have exactly one binding method; it has ${bindings.join(' and ')}`,
          'vmi.interface-one-binding',
        ),
      );
    }
    if (has(iface, 'masquerade') && net && !has(net, 'pod')) {
      issues.push(
        error(
          field(at, 'name'),
          'Masquerade interface only implemented with pod network',
          'vmi.masquerade-pod-only',
        ),
      );
    }
    const model = str(iface.model);
    if (model && !(INTERFACE_MODELS as readonly string[]).includes(model)) {
      issues.push(
        error(
          field(at, 'model'),
          `interface ${field(at, 'name')} uses model ${model} that is not supported.`,
          'vmi.interface-model',
        ),
      );
    }
    const mac = str(iface.macAddress);
    if (mac && !MAC_RE.test(mac)) {
      issues.push(
        error(
          field(at, 'macAddress'),
          `interface ${field(at, 'name')} has malformed MAC address (${mac}).`,
          'vmi.interface-mac',
        ),
      );
    } else if (
      mac &&
      has(iface, 'masquerade') &&
      mac.replace(/-/g, ':').toLowerCase() === STATIC_MASQUERADE_BRIDGE_MAC
    ) {
      issues.push(
        error(
          field(at, 'macAddress'),
          `The requested MAC address is reserved for the in-pod bridge. Please choose another one. (${mac} is the masquerade bridge's, the guest's gateway, in every launcher pod)`,
          'vmi.interface-mac-reserved',
        ),
      );
    }
    issues.push(...checkPortRanges(iface, at));
    if (net && has(net, 'pod')) {
      records(iface.ports).forEach((port, p) => {
        const pp = index(field(at, 'ports'), p);
        if (!port.port) issues.push(error(pp, 'Port field is mandatory.', 'vmi.port-required'));
        else if (typeof port.port === 'number' && (port.port < 0 || port.port > 65535))
          issues.push(error(pp, 'Port field must be in range 0 < x < 65536.', 'vmi.port-range'));
        const protocol = str(port.protocol);
        if (protocol && protocol !== 'TCP' && protocol !== 'UDP')
          issues.push(
            error(field(pp, 'protocol'), 'Unknown protocol, only TCP or UDP allowed', 'vmi.port-protocol'),
          );
      });
    }
  });
  return issues;
}

/**
 * Port ranges forward whole ranges through masquerade's NAT; KubeVirt takes them only on
 * masquerade interfaces and never together with a port list.
 */
function checkPortRanges(iface: Json, at: string): Issue[] {
  const issues: Issue[] = [];
  const ranges = records(iface.portRanges);
  if (!ranges.length) return issues;
  const rangesPath = field(at, 'portRanges');
  if (records(iface.ports).length)
    issues.push(
      error(
        rangesPath,
        `${rangesPath} cannot be used together with ${field(at, 'ports')}; keep one of the two`,
        'vmi.port-ranges-exclusive',
      ),
    );
  if (!has(iface, 'masquerade'))
    issues.push(
      error(
        rangesPath,
        `${rangesPath} is only supported on masquerade interfaces; set masquerade: {} or use ports`,
        'vmi.port-ranges-masquerade',
      ),
    );
  ranges.forEach((range, r) => {
    const rp = index(rangesPath, r);
    const protocol = str(range.protocol);
    if (protocol !== 'TCP' && protocol !== 'UDP')
      issues.push(
        error(
          field(rp, 'protocol'),
          `${field(rp, 'protocol')} must be TCP or UDP`,
          'vmi.port-range-protocol',
        ),
      );
    const ends = (['start', 'end'] as const).map((key) => {
      const value = range[key];
      if (typeof value !== 'number') return undefined;
      if (value < 1 || value > 65535)
        issues.push(
          error(
            field(rp, key),
            `${field(rp, key)} ${value} is not a port; use 1 to 65535`,
            'vmi.port-range-bounds',
          ),
        );
      return value;
    });
    const [start, end] = ends;
    if (start !== undefined && end !== undefined && end < start)
      issues.push(
        error(
          field(rp, 'end'),
          `${field(rp, 'end')} ${end} is below start ${start}; the range must not be empty`,
          'vmi.port-range-order',
        ),
      );
  });
  return issues;
}

function checkMemory(spec: Json, base: string, requireMemory: boolean): Issue[] {
  const issues: Issue[] = [];
  const d = `${base}.domain`;
  const requests = parseQuantity(dig(spec, 'domain', 'resources', 'requests', 'memory'));
  const limits = parseQuantity(dig(spec, 'domain', 'resources', 'limits', 'memory'));
  const guest = parseQuantity(dig(spec, 'domain', 'memory', 'guest'));
  const hugepages = dig(spec, 'domain', 'memory', 'hugepages');
  const reqPath = `${d}.resources.requests.memory`;
  const limPath = `${d}.resources.limits.memory`;
  if (requests !== undefined && requests < 0)
    issues.push(
      error(
        reqPath,
        `${reqPath} '${String(dig(spec, 'domain', 'resources', 'requests', 'memory'))}': must be greater than or equal to 0.`,
        'vmi.memory-positive',
      ),
    );
  else if (requests !== undefined && requests > 0 && requests < 1e6) {
    issues.push(
      error(
        reqPath,
        `${reqPath} '${String(dig(spec, 'domain', 'resources', 'requests', 'memory'))}': must be greater than or equal to 1M.`,
        'vmi.memory-minimum',
      ),
    );
  }
  if (limits !== undefined && limits < 0)
    issues.push(
      error(
        limPath,
        `${limPath} '${String(dig(spec, 'domain', 'resources', 'limits', 'memory'))}': must be greater than or equal to 0.`,
        'vmi.memory-positive',
      ),
    );
  if (limits !== undefined && limits > 0 && requests !== undefined && requests > limits) {
    issues.push(
      error(
        reqPath,
        `${reqPath} '${String(dig(spec, 'domain', 'resources', 'requests', 'memory'))}' is greater than ${limPath} '${String(dig(spec, 'domain', 'resources', 'limits', 'memory'))}'`,
        'vmi.memory-request-over-limit',
      ),
    );
  }
  if (limits !== undefined && limits > 0 && guest !== undefined && limits < guest) {
    issues.push(
      error(
        `${d}.memory.guest`,
        `${d}.memory.guest '${String(dig(spec, 'domain', 'memory', 'guest'))}' must be equal to or less than the memory limit ${limPath} '${String(dig(spec, 'domain', 'resources', 'limits', 'memory'))}'`,
        'vmi.guest-over-limit',
      ),
    );
  }
  if (requireMemory && !requests && guest === undefined && !record(hugepages)) {
    issues.push(
      error(
        `${d}.memory`,
        `no memory requested, at least one of '${d}.memory.guest', '${d}.memory.hugepages.size' or '${d}.resources.requests.memory' must be set`,
        'vmi.memory-required',
      ),
    );
  }
  return issues;
}

function checkCpu(spec: Json, base: string): Issue[] {
  const issues: Issue[] = [];
  const cpu = record(dig(spec, 'domain', 'cpu'));
  const c = `${base}.domain.cpu`;
  if (!cpu) return issues;
  if (cpu.isolateEmulatorThread === true && cpu.dedicatedCpuPlacement !== true) {
    issues.push(
      error(
        `${c}.isolateEmulatorThread`,
        'IsolateEmulatorThread should be only set in combination with DedicatedCPUPlacement',
        'vmi.isolate-emulator-thread',
      ),
    );
  }
  if (
    typeof cpu.maxSockets === 'number' &&
    cpu.maxSockets > 0 &&
    typeof cpu.sockets === 'number' &&
    cpu.sockets > cpu.maxSockets
  ) {
    issues.push(
      error(
        `${c}.sockets`,
        'Number of sockets in CPU topology is greater than the maximum sockets allowed',
        'vmi.max-sockets',
      ),
    );
  }
  if (has(cpu, 'realtime') && cpu.dedicatedCpuPlacement !== true) {
    issues.push(
      error(
        `${c}.dedicatedCpuPlacement`,
        `${c}.dedicatedCpuPlacement must be set to true when ${c}.realtime is used`,
        'vmi.realtime-dedicated',
      ),
    );
  }
  records(cpu.features).forEach((f, i) => {
    const policy = str(f.policy);
    if (policy !== undefined && !['', 'force', 'require', 'optional', 'disable', 'forbid'].includes(policy)) {
      issues.push(
        error(
          field(index(`${c}.features`, i), 'policy'),
          `CPU feature ${str(f.name) ?? ''} uses policy ${policy} that is not supported.`,
          'vmi.cpu-feature-policy',
        ),
      );
    }
  });
  return issues;
}

function checkFirmware(spec: Json, base: string): Issue[] {
  const issues: Issue[] = [];
  const d = `${base}.domain`;
  const bootloader = record(dig(spec, 'domain', 'firmware', 'bootloader'));
  if (bootloader && has(bootloader, 'efi') && has(bootloader, 'bios')) {
    issues.push(
      error(
        `${d}.firmware.bootloader`,
        `${d}.firmware.bootloader has both EFI and BIOS configured, but they are mutually exclusive.`,
        'vmi.efi-and-bios',
      ),
    );
  }
  const efi = record(bootloader?.efi);
  const secureBoot = !!efi && efi.secureBoot !== false;
  if (secureBoot && !enabledMarker(dig(spec, 'domain', 'features', 'smm'))) {
    issues.push(
      error(
        d,
        `${d} has EFI SecureBoot enabled. SecureBoot requires SMM, which is currently disabled. Set ${d}.features.smm: {} or ${d}.firmware.bootloader.efi.secureBoot: false.`,
        'vmi.secureboot-smm',
      ),
    );
  }
  const serial = str(dig(spec, 'domain', 'firmware', 'serial'));
  if (serial && !SERIAL_RE.test(serial)) {
    issues.push(
      error(
        `${d}.firmware.serial`,
        `${d}.firmware.serial must be made up of the following characters [A-Za-z0-9_.+-], if specified`,
        'vmi.firmware-serial',
      ),
    );
  }
  const kernelBoot = record(dig(spec, 'domain', 'firmware', 'kernelBoot'));
  if (kernelBoot && !has(kernelBoot, 'container') && str(kernelBoot.kernelArgs)) {
    issues.push(
      error(
        `${d}.firmware.kernelBoot.kernelArgs`,
        'kernel arguments cannot be provided without an external kernel',
        'vmi.kernel-args',
      ),
    );
  }
  return issues;
}

function checkProbe(spec: Json, base: string, name: 'readinessProbe' | 'livenessProbe'): Issue[] {
  const probe = record(spec[name]);
  if (!probe) return [];
  const p = `${base}.${name}`;
  const handlers = ['httpGet', 'tcpSocket', 'exec', 'guestAgentPing'].filter((h) => has(probe, h));
  const issues: Issue[] = [];
  if (handlers.length > 1)
    issues.push(error(p, `${p} must have exactly one probe type set`, 'vmi.probe-one-handler'));
  if (handlers.length < 1)
    issues.push(
      error(
        p,
        `either ${p}.tcpSocket, ${p}.exec or ${p}.httpGet must be set if a ${p} is specified`,
        'vmi.probe-one-handler',
      ),
    );
  if (!records(spec.networks).some((n) => has(n, 'pod')) && records(spec.networks).length > 0) {
    for (const h of ['httpGet', 'tcpSocket']) {
      if (has(probe, h))
        issues.push(
          error(
            `${p}.${h}`,
            `${p}.${h} is only allowed if the Pod Network is attached`,
            'vmi.probe-pod-network',
          ),
        );
    }
  }
  return issues;
}

function checkMisc(spec: Json, base: string): Issue[] {
  const issues: Issue[] = [];
  const start = str(spec.startStrategy);
  if (start !== undefined && start !== 'Paused') {
    issues.push(
      error(
        `${base}.startStrategy`,
        `${base}.startStrategy is set with an unrecognized option: ${start}`,
        'vmi.start-strategy',
      ),
    );
  } else if (start === 'Paused' && has(spec, 'livenessProbe')) {
    issues.push(
      error(
        `${base}.startStrategy`,
        `either ${base}.startStrategy or ${base}.livenessProbe should be provided.Pausing VMI with LivenessProbe is not supported`,
        'vmi.start-strategy-probe',
      ),
    );
  }
  const eviction = str(spec.evictionStrategy);
  if (eviction !== undefined && !(EVICTION_STRATEGIES as readonly string[]).includes(eviction)) {
    issues.push(
      error(
        `${base}.evictionStrategy`,
        `${base}.evictionStrategy is set with an unrecognized option: ${eviction}`,
        'vmi.eviction-strategy',
      ),
    );
  }
  const hostname = str(spec.hostname);
  if (hostname && (!DNS_LABEL_RE.test(hostname) || hostname.length > 63)) {
    issues.push(
      error(
        `${base}.hostname`,
        `${base}.hostname does not conform to the kubernetes DNS_LABEL rules : "${hostname}" must consist of lower case alphanumeric characters or '-', start and end with one, and be at most 63 characters`,
        'vmi.hostname',
      ),
    );
  }
  const dnsPolicy = str(spec.dnsPolicy);
  if (dnsPolicy && !['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'].includes(dnsPolicy)) {
    issues.push(
      error(
        `${base}.dnsPolicy`,
        `DNSPolicy: ${dnsPolicy} is not supported, valid values: [ClusterFirstWithHostNet ClusterFirst Default None ]`,
        'vmi.dns-policy',
      ),
    );
  }
  if (dnsPolicy === 'None' && !record(spec.dnsConfig)) {
    issues.push(
      error(`${base}.dnsConfig`, 'must provide `dnsConfig` when `dnsPolicy` is None', 'vmi.dns-config'),
    );
  }
  const inputs = records(dig(spec, 'domain', 'devices', 'inputs'));
  inputs.forEach((input, i) => {
    const at = index(`${base}.domain.devices.inputs`, i);
    const bus = str(input.bus);
    if (bus && bus !== 'virtio' && bus !== 'usb')
      issues.push(error(`${at}.bus`, 'Input device can have only virtio or usb bus.', 'vmi.input-bus'));
    if (str(input.type) !== 'tablet')
      issues.push(error(`${at}.type`, 'Input device can have only tablet type.', 'vmi.input-type'));
  });
  const sound = record(dig(spec, 'domain', 'devices', 'sound'));
  if (sound) {
    const model = str(sound.model);
    if (model && model !== 'ich9' && model !== 'ac97')
      issues.push(
        error(
          `${base}.domain.devices.sound.model`,
          "Sound device type is not supported. Options: 'ich9' or 'ac97'",
          'vmi.sound-model',
        ),
      );
    if (!str(sound.name))
      issues.push(
        error(`${base}.domain.devices.sound.name`, 'Sound device requires a name field.', 'vmi.sound-name'),
      );
  }
  const policy = str(dig(spec, 'domain', 'ioThreadsPolicy'));
  if (policy && !['shared', 'auto', 'supplementalPool'].includes(policy)) {
    issues.push(
      error(
        `${base}.domain.ioThreadsPolicy`,
        `Invalid IOThreadsPolicy (${policy}); use shared, auto or supplementalPool`,
        'vmi.iothreads-policy',
      ),
    );
  }
  return issues;
}

function checkAccessCredentials(spec: Json, base: string): Issue[] {
  const issues: Issue[] = [];
  const volumes = records(spec.volumes);
  const hasNoCloud = volumes.some((v) => has(v, 'cloudInitNoCloud'));
  const hasConfigDrive = volumes.some((v) => has(v, 'cloudInitConfigDrive'));
  records(spec.accessCredentials).forEach((cred, i) => {
    const at = index(`${base}.accessCredentials`, i);
    const kinds = ['sshPublicKey', 'userPassword'].filter((k) => has(cred, k));
    if (kinds.length !== 1)
      issues.push(
        error(at, `${at} must have exactly one access credential type set`, 'vmi.access-credential-type'),
      );
    const ssh = record(cred.sshPublicKey);
    if (ssh) {
      const method = record(ssh.propagationMethod) ?? {};
      if (has(method, 'noCloud') && !hasNoCloud) {
        issues.push(
          error(
            `${at}.sshPublicKey.propagationMethod`,
            `${at} requires a noCloud volume to exist when the noCloud propagationMethod is in use.`,
            'vmi.access-credential-nocloud',
          ),
        );
      }
      if (has(method, 'configDrive') && !hasConfigDrive) {
        issues.push(
          error(
            `${at}.sshPublicKey.propagationMethod`,
            `${at} requires a configDrive volume to exist when the configDrive propagationMethod is in use.`,
            'vmi.access-credential-configdrive',
          ),
        );
      }
      const methods = ['noCloud', 'configDrive', 'qemuGuestAgent'].filter((m) => has(method, m)).length;
      if (methods !== 1)
        issues.push(
          error(
            `${at}.sshPublicKey.propagationMethod`,
            `${at} must have exactly one propagationMethod set`,
            'vmi.access-credential-method',
          ),
        );
      if (!has(record(ssh.source), 'secret'))
        issues.push(
          error(
            `${at}.sshPublicKey.source`,
            `${at} must have exactly one source set`,
            'vmi.access-credential-source',
          ),
        );
    }
  });
  return issues;
}

/** Every KubeVirt admission check on a VMI spec at `base`. */
export function checkVmiSpec(
  specValue: unknown,
  base: string,
  options: { requireMemory?: boolean } = {},
): Issue[] {
  const spec = record(specValue);
  if (!spec) return [];
  return [
    ...checkNames(spec, base),
    ...checkDisks(spec, base),
    ...checkBootOrderUnique(spec, base),
    ...checkVolumes(spec, base),
    ...checkNetworks(spec, base),
    ...checkDhcpOptions(spec, base),
    ...checkMemory(spec, base, options.requireMemory !== false),
    ...checkCpu(spec, base),
    ...checkFirmware(spec, base),
    ...checkProbe(spec, base, 'readinessProbe'),
    ...checkProbe(spec, base, 'livenessProbe'),
    ...checkMisc(spec, base),
    ...checkAccessCredentials(spec, base),
    ...checkNodeValues(spec, base),
  ];
}
