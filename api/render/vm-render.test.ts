import {
  DataVolumeTemplate,
  Disk,
  InstancetypeRef,
  RunStrategy,
  renderVirtualMachineSpec,
  renderVmSpec,
  stateFromProps,
  VIRTUAL_MACHINE_SPEC_PROP_NAMES,
  virtualMachineSpecPropsSet,
  vmStateFromProps,
  type VirtualMachineSpecProps,
} from '.';

const PROPS: VirtualMachineSpecProps = {
  instancetype: InstancetypeRef.namespaced('small'),
  disks: [
    { name: 'root', source: Disk.containerDisk('registry.local/guest:1') },
    { name: 'data', source: Disk.dataVolume(DataVolumeTemplate.blank({ size: '1Gi' })) },
  ],
};

describe('renderVirtualMachineSpec', () => {
  it('writes runStrategy Always when left out, and names owned DataVolumes after the owner', () => {
    const spec = renderVirtualMachineSpec(PROPS, 'db');
    expect(spec.runStrategy).toBe(RunStrategy.ALWAYS);
    expect(spec.instancetype).toEqual({ name: 'small', kind: 'VirtualMachineInstancetype' });
    expect(spec.dataVolumeTemplates?.[0].metadata?.name).toBe('db-data');
    expect(spec.template.spec?.volumes?.[1]).toEqual({ dataVolume: { name: 'db-data' }, name: 'data' });
  });

  it('is renderVmSpec in canonical form: the same data with every key sorted', () => {
    const raw = renderVmSpec(vmStateFromProps(PROPS, stateFromProps(PROPS)), 'db');
    const canonical = renderVirtualMachineSpec(PROPS, 'db');
    expect(canonical).toEqual(raw);
    expect(Object.keys(raw)).toEqual(['runStrategy', 'instancetype', 'dataVolumeTemplates', 'template']);
    expect(Object.keys(canonical)).toEqual([
      'dataVolumeTemplates',
      'instancetype',
      'runStrategy',
      'template',
    ]);
  });

  it('leaves the props untouched', () => {
    const before = JSON.stringify(PROPS);
    renderVirtualMachineSpec(PROPS, 'db');
    expect(JSON.stringify(PROPS)).toBe(before);
  });
});

describe('virtualMachineSpecPropsSet', () => {
  it('lists the typed props that are set, and nothing else', () => {
    expect(
      virtualMachineSpecPropsSet({ name: 'x', memory: '1Gi', disks: [], hostname: undefined, spec: {} }),
    ).toEqual(['memory', 'disks']);
    expect(VIRTUAL_MACHINE_SPEC_PROP_NAMES).toContain('runStrategy');
    expect(VIRTUAL_MACHINE_SPEC_PROP_NAMES).toContain('templateAnnotations');
  });
});
