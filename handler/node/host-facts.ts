/** Gathers HostFacts from this machine: CPUs, memory, address, KVM (the launcher's probe). */
import * as fs from 'fs';
import * as os from 'os';
import { hostKvm } from '../../launcher/host/kvm-probe';
import type { HostFacts } from './node-object';

function readTrim(file: string, fallback: string): string {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return fallback;
  }
}

/** The first non-internal IPv4 address, else loopback. Pure over os.networkInterfaces()' shape. */
export function primaryIPv4(ifaces: NodeJS.Dict<os.NetworkInterfaceInfo[]>): string {
  for (const [name, addrs] of Object.entries(ifaces)) {
    if (name.startsWith('virtkit') || name.startsWith('docker')) continue;
    const v4 = (addrs ?? []).find((a) => a.family === 'IPv4' && !a.internal);
    if (v4) return v4.address;
  }
  return '127.0.0.1';
}

function osImage(): string {
  const text = readTrim('/etc/os-release', '');
  const m = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(text);
  return m ? m[1] : 'Linux';
}

export async function gatherHostFacts(nodeName: string, handlerVersion: string): Promise<HostFacts> {
  const { usable: kvm, reason: kvmReason } = await hostKvm();
  return {
    nodeName,
    hostname: os.hostname(),
    ip: primaryIPv4(os.networkInterfaces()),
    cpus: os.cpus().length,
    memoryBytes: os.totalmem(),
    kvm,
    kvmReason,
    tun: fs.existsSync('/dev/net/tun'),
    vhostNet: fs.existsSync('/dev/vhost-net'),
    kernelVersion: os.release(),
    osImage: osImage(),
    bootId: readTrim('/proc/sys/kernel/random/boot_id', 'unknown'),
    machineId: readTrim('/etc/machine-id', 'unknown'),
    handlerVersion,
  };
}
