/** Readers for what a user checks on VMs and VMIs in the runtime suites. */
import * as fs from 'fs';
import { LauncherClient } from '../../../launcher/api/client';
import type { Obj, Runtime } from './runtime';

export function printableStatus(rt: Runtime, ns: string, vm: string): string | undefined {
  return (rt.get('vm', ns, vm)?.status as { printableStatus?: string } | undefined)?.printableStatus;
}

export function isReady(o: Obj | undefined): boolean {
  return o?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

export function consoleHas(rt: Runtime, ns: string, vmi: string, text: string): boolean {
  const file = rt.serialLog(ns, vmi);
  return !!file && fs.existsSync(file) && fs.readFileSync(file, 'utf8').includes(text);
}

/** Waits for printableStatus Running, Ready=True and the guest's boot marker; returns the VMI. */
export async function waitRunning(
  rt: Runtime,
  ns: string,
  vm: string,
  marker: string,
  notUid?: string,
): Promise<Obj> {
  const seen = (): unknown => ({ vm: rt.get('vm', ns, vm)?.status, vmi: rt.get('vmi', ns, vm)?.status });
  await rt.waitFor(
    `${ns}/${vm} printableStatus Running and Ready`,
    () => printableStatus(rt, ns, vm) === 'Running' && isReady(rt.get('vm', ns, vm)),
    240_000,
    seen,
  );
  const vmi = await rt.waitFor(
    `${ns}/${vm} VMI Running and Ready`,
    () => {
      const v = rt.get('vmi', ns, vm);
      return v && v.metadata.uid !== notUid && v.status?.phase === 'Running' && isReady(v) ? v : undefined;
    },
    240_000,
    seen,
  );
  await rt.waitFor(`${ns}/${vm} boot marker on the console`, () => consoleHas(rt, ns, vm, marker), 120_000);
  return vmi;
}

/** The control API of the launcher running `vmi` (its work dir holds QEMU's dir, where the serial log is). */
export function launcherOf(rt: Runtime, ns: string, vmi: string): LauncherClient {
  const log = rt.serialLog(ns, vmi);
  if (!log) throw new Error(`no launcher work dir for ${ns}/${vmi}`);
  return new LauncherClient(log.replace(/\/qemu\/serial\.log$/, '/launcher.sock'));
}

export function podsOf(rt: Runtime, ns: string, vmiUid: string): Obj[] {
  return rt.list('pods', ns, `kubevirt.io/created-by=${vmiUid}`);
}

/** The Events about the object named `involved` in namespace `ns` (kubectl's view). */
export function eventsOf(
  rt: Runtime,
  ns: string,
  involved: string,
): { type?: string; reason?: string; message?: string }[] {
  const out = rt.kubectl([
    'get',
    'events',
    '-n',
    ns,
    '--field-selector',
    `involvedObject.name=${involved}`,
    '-o',
    'json',
  ]);
  return (JSON.parse(out) as { items: { type?: string; reason?: string; message?: string }[] }).items;
}
