/**
 * The hostile corpus (test/fixtures/hostile-objects.ts) through the constructs, the way a
 * construct user gets a bad object into a manifest:
 *
 *  - every case of every kind that has a construct, through the construct's escape hatch
 *    (`apiObject.addJsonPatch`, which replaces the rendered metadata and body with the case's):
 *    synth validates the patched manifest with the api/ rules, so any object a user can write
 *    reaches the same judgement;
 *  - the object-meta cases through the typed props (name, namespace, labels, annotations);
 *  - the hostile values of the fields that reach QEMU or the node, through the typed props of
 *    VirtualMachine (disk names, images, host paths, object names, serials, CPU model, host
 *    name, subdomain, machine type, memory).
 *
 * Synth must fail, and the construct's findings must name the case's field; constructing must
 * never throw anything but a plain Error naming what is wrong.
 */
import { Chart, JsonPatch, Testing } from 'cdk8s';
import type { Construct } from 'constructs';
import { KIND_BASES } from '../test/fixtures/kind-bases';
import { hostileCases, type HostileCase } from '../test/fixtures/hostile-objects';
import { hasControlCharacters, printable } from '../api/validation/printable';
import { AppValidation, type KubeVirtObject, type ObjectMetaProps } from './core';
import {
  CloneSource,
  ExportSource,
  MigrationPolicy,
  VirtualMachineClone,
  VirtualMachineExport,
  VirtualMachineInstanceMigration,
  VirtualMachineReference,
  VirtualMachineRestore,
  VirtualMachineSnapshot,
} from './ops';
import {
  CniPlugin,
  Ip,
  IpPool,
  NetworkAttachmentDefinition,
  ProviderNetwork,
  Subnet,
  Vlan,
  Vpc,
} from './network';
import { DataSource, DataSourceSource, DataVolume } from './storage';
import {
  VirtualMachineClusterInstancetype,
  VirtualMachineClusterPreference,
  VirtualMachineInstancetype,
  VirtualMachinePreference,
} from './templates';
import {
  DataVolumeTemplate,
  Disk,
  HostDiskType,
  VirtualMachine,
  VirtualMachineInstance,
  VirtualMachineInstanceReplicaSet,
  VirtualMachinePool,
  type VirtualMachineProps,
} from './vm';

type Json = Record<string, unknown>;
type Factory = (scope: Construct, id: string, meta: ObjectMetaProps) => KubeVirtObject;

const vm = () => VirtualMachineReference.byName('web');
const subnet = (scope: Construct, id: string) =>
  new Subnet(scope, `${id}-subnet`, { name: `${id.toLowerCase()}-net`, cidrBlock: '10.66.0.0/16' });

/** A construct of each kind with constructs, from valid props (the metadata aside). */
const FACTORIES: Readonly<Record<string, Factory>> = {
  VirtualMachine: (s, id, m) => new VirtualMachine(s, id, { ...m, memory: '128Mi' }),
  VirtualMachineInstance: (s, id, m) => new VirtualMachineInstance(s, id, { ...m, memory: '128Mi' }),
  VirtualMachineInstanceReplicaSet: (s, id, m) =>
    new VirtualMachineInstanceReplicaSet(s, id, { ...m, memory: '128Mi' }),
  VirtualMachinePool: (s, id, m) => new VirtualMachinePool(s, id, { ...m, memory: '128Mi' }),
  VirtualMachineInstancetype: (s, id, m) =>
    new VirtualMachineInstancetype(s, id, { ...m, cpus: 1, memory: '1Gi' }),
  VirtualMachineClusterInstancetype: (s, id, m) =>
    new VirtualMachineClusterInstancetype(s, id, { ...m, cpus: 1, memory: '1Gi' }),
  VirtualMachinePreference: (s, id, m) => new VirtualMachinePreference(s, id, m),
  VirtualMachineClusterPreference: (s, id, m) => new VirtualMachineClusterPreference(s, id, m),
  VirtualMachineSnapshot: (s, id, m) => new VirtualMachineSnapshot(s, id, { ...m, source: vm() }),
  VirtualMachineRestore: (s, id, m) =>
    new VirtualMachineRestore(s, id, { ...m, target: vm(), snapshotName: 'nightly' }),
  VirtualMachineClone: (s, id, m) =>
    new VirtualMachineClone(s, id, { ...m, source: CloneSource.virtualMachine(vm()) }),
  VirtualMachineExport: (s, id, m) =>
    new VirtualMachineExport(s, id, { ...m, source: ExportSource.virtualMachine(vm()) }),
  VirtualMachineInstanceMigration: (s, id, m) =>
    new VirtualMachineInstanceMigration(s, id, { ...m, vm: vm() }),
  MigrationPolicy: (s, id, m) => new MigrationPolicy(s, id, { ...m, vmiSelector: { workload: 'db' } }),
  DataVolume: (s, id, m) =>
    new DataVolume(s, id, {
      ...m,
      source: DataVolumeTemplate.http('https://example.org/disk.qcow2', { size: '10Gi' }),
    }),
  DataSource: (s, id, m) =>
    new DataSource(s, id, { ...m, source: DataSourceSource.pvc('default', 'fedora') }),
  NetworkAttachmentDefinition: (s, id, m) =>
    new NetworkAttachmentDefinition(s, id, { ...m, plugin: CniPlugin.bridge() }),
  Subnet: (s, id, m) => new Subnet(s, id, { ...m, cidrBlock: '10.66.0.0/16' }),
  Vlan: (s, id, m) =>
    new Vlan(s, id, {
      ...m,
      id: 10,
      provider: new ProviderNetwork(s, `${id}-provider`, {
        name: `${id.toLowerCase()}-pn`,
        defaultInterface: 'eth1',
      }),
    }),
  ProviderNetwork: (s, id, m) => new ProviderNetwork(s, id, { ...m, defaultInterface: 'eth1' }),
  Vpc: (s, id, m) => new Vpc(s, id, m),
  IP: (s, id, m) => new Ip(s, id, { ...m, subnet: subnet(s, id), v4IpAddress: '10.66.0.5' }),
  IPPool: (s, id, m) => new IpPool(s, id, { ...m, subnet: subnet(s, id), ips: ['10.66.0.10..10.66.0.20'] }),
};

const IMAGE = 'quay.io/containerdisks/fedora:40';
const root = (source: Disk, extra: Json = {}) => ({ disks: [{ name: 'root', source, ...extra }] });

/**
 * The typed VirtualMachine props a user would write for a hostile value of a node field, by the
 * corpus field name (`vm/node/<name>-<n>`), with the paths the refusal may name (volume and disk
 * names come out in both lists).
 */
const TYPED: Readonly<Record<string, { props: (v: string) => VirtualMachineProps; fields: string[] }>> = {
  'volume-and-disk-name': {
    props: (v) => ({ disks: [{ name: v, source: Disk.containerDisk(IMAGE) }] }),
    fields: ['volumes[0].name', 'domain.devices.disks[0].name'],
  },
  'container-disk-image': {
    props: (v) => root(Disk.containerDisk(v)),
    fields: ['volumes[0].containerDisk.image'],
  },
  'host-disk-path': {
    props: (v) => root(Disk.hostDisk(v, HostDiskType.DISK)),
    fields: ['volumes[0].hostDisk.path'],
  },
  'configmap-name': { props: (v) => root(Disk.configMap(v)), fields: ['volumes[0].configMap.name'] },
  'secret-name': { props: (v) => root(Disk.secret(v)), fields: ['volumes[0].secret.secretName'] },
  'claim-name': {
    props: (v) => root(Disk.persistentVolumeClaim(v)),
    fields: ['volumes[0].persistentVolumeClaim.claimName'],
  },
  'disk-serial': {
    props: (v) => root(Disk.containerDisk(IMAGE), { serial: v }),
    fields: ['domain.devices.disks[0].serial'],
  },
  'cpu-model': { props: (v) => ({ cpu: { model: v } }), fields: ['domain.cpu.model'] },
  hostname: { props: (v) => ({ hostname: v }), fields: ['hostname'] },
  subdomain: { props: (v) => ({ subdomain: v }), fields: ['subdomain'] },
  'machine-type': { props: (v) => ({ machineType: v }), fields: ['domain.machine.type'] },
  'guest-memory': { props: (v) => ({ memory: v }), fields: ['domain.memory.guest'] },
};

/** The value at a field path such as `spec.template.spec.volumes[0].name`. */
function valueAt(object: unknown, field: string): unknown {
  let at = object;
  for (const key of field.replace(/\[(\d+)\]/g, '.$1').split('.')) {
    if (at === null || typeof at !== 'object') return undefined;
    at = (at as Json)[key];
  }
  return at;
}

/** A synth's findings, by construct path, and any line of its report with a raw control character. */
function synthFindings(chart: Chart): { found: Map<string, string[]>; unsafe: string[] } {
  const found = new Map<string, string[]>();
  const unsafe: string[] = [];
  try {
    Testing.synth(chart);
  } catch (e) {
    for (const line of (e as Error).message.split('\n')) {
      if (hasControlCharacters(line)) unsafe.push(line);
      const m = /^\s*\[([^\]]+)\] (.*)$/.exec(line);
      if (m) found.set(m[1], [...(found.get(m[1]) ?? []), m[2]]);
    }
  }
  return { found, unsafe };
}

/** Does a finding (`<path>: <field>: message` or `<path>: <message starting with the field>`) name `field`? */
function names(finding: string, constructPath: string, field: string): boolean {
  // Findings are printable: a field with a control character in a key shows it escaped.
  const shown = printable(field);
  const rest = finding.slice(constructPath.length + 2);
  return (
    finding.startsWith(`${constructPath}: `) &&
    rest.startsWith(shown) &&
    /^[\s:]/.test(rest.slice(shown.length))
  );
}

interface Entry {
  readonly c: HostileCase;
  /** The fields any of which the findings may name. */
  readonly fields: readonly string[];
  /** Builds the construct under `scope` with id `id`. */
  readonly build: (scope: Construct, id: string) => void;
}

function quietChart(name: string): Chart {
  const chart = new Chart(Testing.app(), name);
  AppValidation.of(chart).warningSink = { warn: () => undefined };
  return chart;
}

/**
 * Runs entries in charts of `batch` constructs each (one synth per chart) and returns the misses:
 * a case whose construct synth accepted, or whose findings do not name its field, or that threw.
 */
function run(entries: readonly Entry[], batch = 40): { misses: string[] } {
  const misses: string[] = [];
  for (let start = 0; start < entries.length; start += batch) {
    const chart = quietChart(`hostile-${start}`);
    const built: Entry[] = [];
    entries.slice(start, start + batch).forEach((e, i) => {
      try {
        e.build(chart, `c${i}`);
        built.push(e);
      } catch (err) {
        // A construct may refuse a value outright; that must be a plain Error that says what is wrong.
        if (!(err instanceof Error) || err.constructor !== Error || !err.message)
          misses.push(`${e.c.id}: constructing threw ${String((err as Error).stack ?? err)}`);
      }
    });
    const { found: findings, unsafe } = synthFindings(chart);
    misses.push(...unsafe.map((l) => `a report line with a raw control character: ${JSON.stringify(l)}`));
    built.forEach((e) => {
      const p = `${chart.node.path}/c${entries.indexOf(e) - start}`;
      const mine = findings.get(p) ?? [];
      if (!mine.length) misses.push(`${e.c.id} (${e.fields[0]}): synth accepted it`);
      else if (!mine.some((f) => e.fields.some((field) => names(f, p, field))))
        misses.push(`${e.c.id} (${e.fields[0]}): findings ${JSON.stringify(mine.slice(0, 3))}`);
    });
  }
  return { misses };
}

/** The case's object put over a construct of its kind with JSON patches (the escape hatch). */
function patched(c: HostileCase): Entry {
  return {
    c,
    fields: [c.field],
    build: (scope, id) => {
      const object = c.make();
      const construct = FACTORIES[c.kind](scope, id, {});
      const ops = [JsonPatch.replace('/metadata', object.metadata ?? {})];
      for (const key of new Set([...Object.keys(object), 'spec'])) {
        if (key === 'apiVersion' || key === 'kind' || key === 'metadata') continue;
        ops.push(key in object ? JsonPatch.add(`/${key}`, object[key]) : JsonPatch.remove(`/${key}`));
      }
      construct.apiObject.addJsonPatch(...ops);
    },
  };
}

const cases = hostileCases();
const withConstruct = cases.filter((c) => FACTORIES[c.kind] && c.group !== 'gate');
describe('constructs', () => {
  it('have a construct for every kind but the three without one', () => {
    const without = Object.keys(KIND_BASES).filter((k) => !FACTORIES[k]);
    expect(without.sort()).toEqual([
      'KubeVirt',
      'VirtualMachineInstancePreset',
      'VirtualMachineSnapshotContent',
    ]);
  });

  it('synthesize every factory with good metadata, and every base through the escape hatch', () => {
    const chart = quietChart('good');
    Object.entries(FACTORIES).forEach(([kind, make], i) => {
      make(chart, `k${i}`, { name: `good-${i}`, namespace: 'default' });
      const c = FACTORIES[kind](chart, `b${i}`, {});
      const base = KIND_BASES[kind].object();
      c.apiObject.addJsonPatch(
        JsonPatch.replace('/metadata', base.metadata),
        JsonPatch.add('/spec', base.spec),
      );
    });
    expect(synthFindings(chart)).toEqual({ found: new Map(), unsafe: [] });
  });

  it('refuse every case through the escape hatch, naming its field', () => {
    // NaN and Infinity come out of cdk8s as null, which the schema refuses at the same field.
    const entries = withConstruct.map(patched);
    expect(entries.length).toBeGreaterThan(15_000);
    expect(run(entries).misses).toEqual([]);
  }, 600_000);

  it('refuse hostile metadata given through the typed props', () => {
    const metaCases = withConstruct.filter(
      (c) => c.group === 'meta' && /^metadata\.(name|namespace|labels|annotations)\b/.test(c.field),
    );
    const entries = metaCases.flatMap((c): Entry[] => {
      const meta = (c.make().metadata ?? {}) as Json;
      if (meta.generateName !== undefined || meta.name === undefined) return [];
      return [
        {
          c,
          fields: [c.field],
          build: (scope, id) =>
            void FACTORIES[c.kind](scope, id, {
              name: meta.name as string,
              namespace: meta.namespace as string | undefined,
              labels: meta.labels as Record<string, string> | undefined,
              annotations: meta.annotations as Record<string, string> | undefined,
            }),
        },
      ];
    });
    expect(entries.length).toBeGreaterThan(1_500);
    expect(run(entries).misses).toEqual([]);
  }, 600_000);

  it('refuse hostile values of the fields that reach the node, given through VirtualMachine props', () => {
    const entries = cases.flatMap((c): Entry[] => {
      const m = /^vm\/node\/(.+)-\d+$/.exec(c.id);
      const typed = m && TYPED[m[1]];
      if (!typed) return [];
      const value = valueAt(c.make(), c.field);
      if (typeof value !== 'string') return [];
      return [
        {
          c,
          fields: typed.fields.map((f) => `spec.template.spec.${f}`),
          build: (scope, id) =>
            void new VirtualMachine(scope, id, { name: 'web', memory: '128Mi', ...typed.props(value) }),
        },
      ];
    });
    expect(entries.length).toBeGreaterThan(300);
    expect(run(entries).misses).toEqual([]);
  }, 600_000);
});
