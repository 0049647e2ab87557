/**
 * The Pulumi library components create the very objects the cdk8s library constructs
 * synthesize (same names, labels, annotations and specs: both generate from api/templates),
 * and refuse a series, size or OS the library does not have, naming the field.
 */
import { Chart, Testing } from 'cdk8s';
import * as constructs from '../constructs';
import { byType, recordRegistrations, valueOf } from './testing/mocks';
import { InstancetypeLibrary, PreferenceLibrary } from './library';

const registered = recordRegistrations();

type Obj = { kind: string; metadata: { name: string; labels?: object; annotations?: object }; spec: object };

function synthesized(build: (chart: Chart) => void): Obj[] {
  const chart = Testing.chart();
  build(chart);
  return Testing.synth(chart) as Obj[];
}

/** What the component sent for each object, as the construct's synth lays it out. */
async function sent(type: string, names: readonly string[]): Promise<Obj[]> {
  const mine = () => byType(registered, type).filter((r) => names.includes(String(r.name)));
  // A child registers once its manifest has resolved, a turn or two after it.
  for (let i = 0; i < 100 && mine().length < names.length; i++) await new Promise((r) => setTimeout(r, 10));
  const objects = names.map((n) => mine().find((r) => r.name === n)!);
  return objects.map((r) => {
    const i = r.inputs as unknown as Obj & { apiVersion: string };
    return { kind: i.kind, metadata: i.metadata, spec: i.spec };
  });
}

const comparable = (o: Obj) => ({
  kind: o.kind,
  name: o.metadata.name,
  labels: o.metadata.labels ?? {},
  annotations: o.metadata.annotations ?? {},
  spec: o.spec,
});

describe('virtkit:index:InstancetypeLibrary and PreferenceLibrary', () => {
  it('create the objects the cdk8s library constructs synthesize', async () => {
    const sizes = new InstancetypeLibrary('sizes', { series: ['u1', 'cx1'], sizes: ['small', 'large'] });
    const prefs = new PreferenceLibrary('prefs', { os: ['fedora', 'windows.11'] });
    expect(sizes.names).toEqual(['u1.small', 'u1.large', 'cx1.small', 'cx1.large']);
    expect(await valueOf(sizes.get('u1.large').objectName)).toBe('u1.large');
    expect(sizes.get('u1.large').kind).toBe('VirtualMachineClusterInstancetype');
    expect(prefs.get('fedora').kind).toBe('VirtualMachineClusterPreference');
    await Promise.all([
      ...sizes.names.map((n) => valueOf(sizes.get(n).manifest)),
      ...prefs.names.map((n) => valueOf(prefs.get(n).manifest)),
    ]);

    const expected = synthesized((chart) => {
      new constructs.InstancetypeLibrary(chart, 'sizes', {
        series: ['u1', 'cx1'],
        sizes: ['small', 'large'],
      });
      new constructs.PreferenceLibrary(chart, 'prefs', { os: ['fedora', 'windows.11'] });
    });
    const actual = [
      ...(await sent(
        'kubernetes:instancetype.kubevirt.io/v1beta1:VirtualMachineClusterInstancetype',
        sizes.names.map((n) => `sizes-${n}`),
      )),
      ...(await sent('kubernetes:instancetype.kubevirt.io/v1beta1:VirtualMachineClusterPreference', [
        'prefs-fedora',
        'prefs-windows.11',
      ])),
    ];
    expect(actual.map(comparable)).toEqual(expected.map(comparable));
  });

  it('namespaced copies when given a namespace', async () => {
    const lib = new InstancetypeLibrary('team', { series: ['u1'], sizes: ['nano'], namespace: 'team-a' });
    expect(lib.get('u1.nano').kind).toBe('VirtualMachineInstancetype');
    expect(await valueOf(lib.get('u1.nano').namespace)).toBe('team-a');
  });

  it('refuses what the library does not have, naming the component and the field', () => {
    expect(() => new InstancetypeLibrary('bad', { series: ['u1', 'z9'], sizes: ['huge'] })).toThrow(
      /virtkit:index:InstancetypeLibrary "bad"[\s\S]*series\[1\][\s\S]*"z9" is not in the library[\s\S]*sizes\[0\]/,
    );
    expect(() => new PreferenceLibrary('bad', { os: ['plan9'] })).toThrow(
      /virtkit:index:PreferenceLibrary "bad"[\s\S]*os\[0\][\s\S]*"plan9" is not in the library/,
    );
  });

  it('get() of an object it did not create names what it did', () => {
    const lib = new InstancetypeLibrary('few', { series: ['o1'], sizes: ['medium'] });
    expect(() => lib.get('u1.medium')).toThrow(
      /instancetype "u1.medium" was not created; created: o1.medium/,
    );
  });
});
