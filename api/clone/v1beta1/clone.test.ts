import { crdFor } from '../../crd/generate';
import { validateAs } from '../../validation/validate';
import { clone, crdVersion, errorLines, undocumentedProperties } from '../../testing/crd-kit';
import { VirtualMachineCloneKind, type VirtualMachineClone } from './index';

const vmClone: VirtualMachineClone = {
  apiVersion: 'clone.kubevirt.io/v1beta1',
  kind: 'VirtualMachineClone',
  metadata: { name: 'web-to-staging', namespace: 'prod' },
  spec: {
    source: { apiGroup: 'kubevirt.io', kind: 'VirtualMachine', name: 'web' },
    target: { apiGroup: 'kubevirt.io', kind: 'VirtualMachine', name: 'web-staging' },
    labelFilters: ['*', '!kubevirt.io/created-by'],
    annotationFilters: ['example.com/*'],
    template: { labelFilters: ['*'], annotationFilters: ['!example.com/secret'] },
    newMacAddresses: { default: '02:00:00:00:be:af' },
    newSMBiosSerial: 'staging-0001',
    patches: ['{"op": "add", "path": "/spec/template/metadata/labels/env", "value": "staging"}'],
    volumeNamePolicy: 'RandomizeNames',
  },
  status: {
    phase: 'Succeeded',
    snapshotName: null,
    restoreName: null,
    targetName: 'web-staging',
    conditions: [{ type: 'Ready', status: 'True' }],
  },
};

describe('VirtualMachineClone', () => {
  it('accepts a realistic clone', () => {
    expect(validateAs(VirtualMachineCloneKind, vmClone)).toEqual([]);
  });

  it('accepts a VirtualMachineSnapshot source and no target', () => {
    const c = clone(vmClone);
    c.spec.source = {
      apiGroup: 'snapshot.kubevirt.io',
      kind: 'VirtualMachineSnapshot',
      name: 'web-before-upgrade',
    };
    delete c.spec.target;
    expect(validateAs(VirtualMachineCloneKind, c)).toEqual([]);
  });

  it('catches an unknown field', () => {
    const c = clone(vmClone) as unknown as { spec: Record<string, unknown> };
    c.spec.newMacAddress = {};
    expect(validateAs(VirtualMachineCloneKind, c)).toEqual([
      expect.objectContaining({
        path: 'spec.newMacAddress',
        message: expect.stringContaining('did you mean "newMacAddresses"'),
      }),
    ]);
  });

  it('requires a source and a VirtualMachine target other than the source', () => {
    const noSource = clone(vmClone) as unknown as { spec: Record<string, unknown> };
    delete noSource.spec.source;
    expect(errorLines(validateAs(VirtualMachineCloneKind, noSource))).toEqual([
      expect.stringMatching(/^spec\.source: the clone source is missing/),
    ]);

    const wrongTarget = clone(vmClone);
    wrongTarget.spec.target = { apiGroup: 'snapshot.kubevirt.io', kind: 'VirtualMachineSnapshot', name: 'x' };
    expect(errorLines(validateAs(VirtualMachineCloneKind, wrongTarget))).toEqual([
      'spec.target.kind: the clone target kind "VirtualMachineSnapshot" is not supported; use one of: VirtualMachine',
    ]);

    const self = clone(vmClone);
    self.spec.target = { apiGroup: 'kubevirt.io', kind: 'VirtualMachine', name: 'web' };
    expect(errorLines(validateAs(VirtualMachineCloneKind, self))).toEqual([
      'spec.target.name: the clone target "web" is the source VM itself; give the new VM another name',
    ]);
  });

  it('refuses a bad MAC and a bad patch', () => {
    const c = clone(vmClone);
    c.spec.newMacAddresses = { default: '02:00:00:be:af' };
    c.spec.patches = ['[{"op": "add"}]'];
    expect(errorLines(validateAs(VirtualMachineCloneKind, c))).toEqual([
      'spec.newMacAddresses.default: "02:00:00:be:af" is not a MAC address; write six hex pairs such as 02:00:00:00:be:af',
      expect.stringMatching(
        /^spec\.patches\[0\]: patch .* must be one JSON object with "op" and "path", not a list/,
      ),
    ]);
  });

  it('refuses filters with a "*" before their end or a "!" after their start, empty ones, and patches outside the new VM', () => {
    const c = clone(vmClone);
    c.spec.labelFilters = ['*', '', 'a*b'];
    c.spec.template = { annotationFilters: ['!', 'x!y'] };
    c.spec.patches = ['{"op": "replace", "path": "/metadata/name", "value": "other"}'];
    expect(errorLines(validateAs(VirtualMachineCloneKind, c))).toEqual([
      'spec.labelFilters[1]: an empty filter matches no key; remove it, or write "*" to keep every key',
      'spec.labelFilters[2]: filter "a*b" has a "*" before its end; a wildcard "*" may only end a filter, as in "example.com/*"',
      'spec.template.annotationFilters[0]: "!" alone is not a filter; write the keys to leave out after it, such as "!example.com/*"',
      'spec.template.annotationFilters[1]: filter "x!y" has a "!" after its start; a negation "!" may only begin a filter, as in "!example.com/secret"',
      'spec.patches[0]: path "/metadata/name" is outside what the clone\'s restore may patch; patch the new VM under /spec/..., /metadata/labels/... or /metadata/annotations/...',
    ]);
  });

  it('publishes KubeVirt names, status subresource, printer columns and descriptions', () => {
    const crd = crdFor(VirtualMachineCloneKind);
    expect(crd.metadata.name).toBe('virtualmachineclones.clone.kubevirt.io');
    expect(crd.spec.names).toMatchObject({
      singular: 'virtualmachineclone',
      shortNames: ['vmclone', 'vmclones'],
    });
    const v = crdVersion(VirtualMachineCloneKind);
    expect(v.subresources).toEqual({ status: {} });
    expect(
      (v.additionalPrinterColumns as { name: string; jsonPath: string }[]).map(
        (c) => `${c.name}=${c.jsonPath}`,
      ),
    ).toEqual([
      'Phase=.status.phase',
      'SourceVirtualMachine=.spec.source.name',
      'TargetVirtualMachine=.spec.target.name',
    ]);
    expect(undocumentedProperties(VirtualMachineCloneKind)).toEqual([]);
  });
});
