import { parse } from 'yaml';
import type { VirtualMachine } from '../../api/kubevirt/v1';
import { createVm, type CreateVmOptions } from './vm';
import { expectValid, usageProblems } from './testing.test-helper';

/** A predictable random source: r0000, r0001... */
function counter() {
  let n = 0;
  return (length: number) => `r${String(n++).padStart(length - 1, '0')}`;
}

function make(opts: CreateVmOptions) {
  return createVm(opts, counter());
}

const problems = (opts: CreateVmOptions): string[] => usageProblems(() => make(opts));

const tmpl = (vm: VirtualMachine) => vm.spec.template.spec!;

describe('create vm: defaults', () => {
  test("virtctl's defaults: a vm-xxxxx name, Always, 180 s, 512Mi, nothing else", () => {
    const { vm, warnings } = createVm({});
    expect(vm.metadata?.name).toMatch(/^vm-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(vm).toEqual({
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachine',
      metadata: { name: vm.metadata?.name },
      spec: {
        runStrategy: 'Always',
        template: {
          spec: { terminationGracePeriodSeconds: 180, domain: { memory: { guest: '512Mi' }, devices: {} } },
        },
      },
    });
    expect(warnings).toEqual([]);
    expectValid(vm);
  });

  test('--name, -n, --run-strategy, --termination-grace-period and --memory land where KubeVirt reads them', () => {
    const { vm } = make({
      name: 'web',
      namespace: 'prod',
      runStrategy: 'Halted',
      terminationGracePeriod: '0',
      memory: '2Gi',
    });
    expect(vm.metadata).toEqual({ name: 'web', namespace: 'prod' });
    expect(vm.spec.runStrategy).toBe('Halted');
    expect(tmpl(vm).terminationGracePeriodSeconds).toBe(0);
    expect(tmpl(vm).domain.memory).toEqual({ guest: '2Gi' });
    expectValid(vm);
  });
});

describe('create vm: instancetype and preference', () => {
  test('a bare name leaves the kind to the server (cluster-wide); the instancetype replaces --memory', () => {
    const { vm } = make({ instancetype: 'u1.medium', preference: 'fedora' });
    expect(vm.spec.instancetype).toEqual({ name: 'u1.medium' });
    expect(vm.spec.preference).toEqual({ name: 'fedora' });
    expect(tmpl(vm).domain.memory).toBeUndefined();
    expectValid(vm);
  });

  test('kind/name takes the resource names virtctl takes, in any case, and writes the Kind', () => {
    const { vm } = make({
      instancetype: 'virtualmachineinstancetype/small',
      preference: 'VirtualMachineClusterPreference/linux',
    });
    expect(vm.spec.instancetype).toEqual({ name: 'small', kind: 'VirtualMachineInstancetype' });
    expect(vm.spec.preference).toEqual({ name: 'linux', kind: 'VirtualMachineClusterPreference' });
    expectValid(vm);
  });

  test('an unknown kind, too many slashes or a bad name is refused, naming the flag', () => {
    expect(problems({ instancetype: 'flavor/small' })).toEqual([
      '--instancetype "flavor/small": invalid instancetype kind "flavor", supported values are: virtualmachineinstancetype, virtualmachineclusterinstancetype',
    ]);
    expect(problems({ preference: 'a/b/c' })[0]).toMatch(/^--preference "a\/b\/c": .*2 slashes/);
    expect(problems({ preference: 'Fedora' })[0]).toMatch(
      /^--preference "Fedora": name "Fedora" must be a lowercase/,
    );
  });

  test('--memory with --instancetype (or an inference flag) is refused, as virtctl refuses it', () => {
    expect(problems({ memory: '1Gi', instancetype: 'x' })).toEqual([
      '--memory and --instancetype exclude each other (each decides what sizes the VM); keep one',
    ]);
    expect(problems({ preference: 'p', inferPreferenceFrom: 'v' })[0]).toMatch(
      /^--preference and --infer-preference-from exclude each other/,
    );
  });
});

describe('create vm: volumes', () => {
  test("volumes come in virtctl's order, each with its disk; bootorder lands on the disk", () => {
    const { vm } = make({
      name: 'web',
      volumeImport: ['type:blank,size:1Gi,name:scratch'],
      volumeContainerdisk: ['src:quay.io/containerdisks/fedora:41'],
      volumePvc: ['src:data,bootorder:1'],
    });
    expect(tmpl(vm).volumes).toEqual([
      { name: 'web-containerdisk-0', containerDisk: { image: 'quay.io/containerdisks/fedora:41' } },
      { name: 'data', persistentVolumeClaim: { claimName: 'data' } },
      { name: 'scratch', dataVolume: { name: 'scratch' } },
    ]);
    expect(tmpl(vm).domain.devices.disks).toEqual([
      { name: 'web-containerdisk-0' },
      { name: 'data', bootOrder: 1 },
      { name: 'scratch' },
    ]);
    expect(vm.spec.dataVolumeTemplates).toEqual([
      {
        metadata: { name: 'scratch' },
        spec: { source: { blank: {} }, storage: { resources: { requests: { storage: '1Gi' } } } },
      },
    ]);
    expectValid(vm);
  });

  test.each([
    ['type:blank,size:5Gi', { source: { blank: {} } }],
    [
      'type:gcs,url:gs://bucket/disk.img,secretref:gcs,size:5Gi',
      { source: { gcs: { url: 'gs://bucket/disk.img', secretRef: 'gcs' } } },
    ],
    [
      'type:http,url:https://example.com/d.qcow2,certconfigmap:ca,extraheaders:X-A: 1;X-B: 2,size:5Gi',
      {
        source: {
          http: {
            url: 'https://example.com/d.qcow2',
            certConfigMap: 'ca',
            extraHeaders: ['X-A: 1', 'X-B: 2'],
          },
        },
      },
    ],
    [
      'type:imageio,url:https://engine/api,diskid:123-abc,secretref:ovirt,size:5Gi',
      { source: { imageio: { url: 'https://engine/api', diskId: '123-abc', secretRef: 'ovirt' } } },
    ],
    ['type:pvc,src:golden/fedora', { source: { pvc: { namespace: 'golden', name: 'fedora' } } }],
    [
      'type:registry,url:docker://quay.io/containerdisks/fedora:41,pullmethod:node,size:5Gi',
      { source: { registry: { url: 'docker://quay.io/containerdisks/fedora:41', pullMethod: 'node' } } },
    ],
    [
      'type:s3,url:https://s3.example.com/b/d.img,size:5Gi',
      { source: { s3: { url: 'https://s3.example.com/b/d.img' } } },
    ],
    [
      'type:vddk,url:https://vc,uuid:u-1,thumbprint:AA:BB,secretref:vc,backingfile:[ds1] vm/vm.vmdk,size:5Gi',
      {
        source: {
          vddk: {
            url: 'https://vc',
            uuid: 'u-1',
            thumbprint: 'AA:BB',
            secretRef: 'vc',
            backingFile: '[ds1] vm/vm.vmdk',
          },
        },
      },
    ],
    ['type:snapshot,src:golden/snap-1', { source: { snapshot: { namespace: 'golden', name: 'snap-1' } } }],
    ['type:ds,src:fedora', { sourceRef: { kind: 'DataSource', name: 'fedora' } }],
    [
      'type:ds,src:os-images/fedora',
      { sourceRef: { kind: 'DataSource', name: 'fedora', namespace: 'os-images' } },
    ],
  ])('--volume-import %s', (param, source) => {
    const { vm } = make({ name: 'vm', volumeImport: [param] });
    const template = vm.spec.dataVolumeTemplates![0];
    expect(template.metadata).toEqual({ name: 'imported-volume-r0000' });
    expect(template.spec).toMatchObject(source);
    expect(template.spec.storage).toEqual(
      param.includes('size:') ? { resources: { requests: { storage: '5Gi' } } } : {},
    );
    expect(tmpl(vm).volumes).toEqual([
      { name: 'imported-volume-r0000', dataVolume: { name: 'imported-volume-r0000' } },
    ]);
    expectValid(vm);
  });

  test('the deprecated flags are --volume-import with a type, after PVCs, with a warning', () => {
    const { vm, warnings } = make({
      name: 'vm',
      volumeImport: ['type:blank,size:1Gi,name:last'],
      volumeBlank: ['size:2Gi,name:blank'],
      volumeClonePvc: ['src:ns/golden,name:clone'],
      volumeDatasource: ['src:fedora,name:ds'],
      volumePvc: ['src:data'],
    });
    expect(tmpl(vm).volumes!.map((v) => v.name)).toEqual(['data', 'ds', 'clone', 'blank', 'last']);
    expect(vm.spec.dataVolumeTemplates![1].spec.source).toEqual({ pvc: { namespace: 'ns', name: 'golden' } });
    expect(warnings).toEqual([
      'Flag --volume-datasource has been deprecated, use flag --volume-import with type:ds and the same params instead',
      'Flag --volume-clone-pvc has been deprecated, use flag --volume-import with type:pvc and the same params instead',
      'Flag --volume-blank has been deprecated, use flag --volume-import with type:blank and the same params instead',
    ]);
    expectValid(vm);
  });

  test('--volume-sysprep attaches the answer file as a SATA CD-ROM', () => {
    const { vm } = make({ volumeSysprep: 'src:unattend,type:secret', memory: '4Gi' });
    expect(tmpl(vm).volumes).toEqual([{ name: 'sysprepdisk', sysprep: { secret: { name: 'unattend' } } }]);
    expect(tmpl(vm).domain.devices.disks).toEqual([{ name: 'sysprepdisk', cdrom: { bus: 'sata' } }]);
    expectValid(vm);
  });

  test.each([
    [
      { volumeImport: ['type:http,url:https://x/d.img'] },
      '--volume-import "type:http,url:https://x/d.img": size must be specified for a http volume; add size:10Gi',
    ],
    [
      { volumeImport: ['size:1Gi'] },
      '--volume-import "size:1Gi": type must be specified; add type:T where T is one of blank, gcs, http, imageio, pvc, registry, s3, vddk, snapshot, ds',
    ],
    [{ volumeImport: ['type:ftp,size:1Gi'] }, /unknown source type used - ftp; use one of blank/],
    [
      { volumeImport: ['type:pvc,src:golden'] },
      /namespace of pvc 'golden' must be specified; write src:NAMESPACE\/golden/,
    ],
    [
      { volumeImport: ['type:registry,url:docker://a/b,imagestream:s,size:1Gi'] },
      /exactly one of url or imagestream must be defined/,
    ],
    [
      { volumeImport: ['type:registry,url:docker://a/b,pullmethod:pull,size:1Gi'] },
      /pullmethod must be set to pod or node/,
    ],
    [{ volumeImport: ['type:blank,size:lots'] }, /size "lots" is not a quantity; write it like 512Mi/],
    [
      { volumeImport: ['type:blank,size:1Gi,colour:red'] },
      /unknown param\(s\) colour; the supported ones are type, name, size, bootorder/,
    ],
    [{ volumeImport: ['type:blank,size:1Gi,Name:x'] }, /unknown param\(s\) Name/],
    [{ volumeImport: [''] }, /params may not be empty/],
    [{ volumeImport: ['type:blank,size1Gi'] }, /"size1Gi" is not a key:value param/],
    [
      { volumeContainerdisk: ['name:x'] },
      '--volume-containerdisk "name:x": src must be specified, for example src:quay.io/containerdisks/fedora:latest',
    ],
    [{ volumeContainerdisk: ['src:a,bootorder:0'] }, /bootorder must be greater than 0/],
    [{ volumeContainerdisk: ['src:a,bootorder:one'] }, /bootorder "one" is not a whole number/],
    [
      { volumeContainerdisk: ['src:a,name:Disk_1'] },
      /volume name "Disk_1" must be a lowercase RFC 1123 label/,
    ],
    [{ volumePvc: ['src:other/data'] }, /not allowed to specify namespace of pvc 'data'/],
    [
      { volumeSysprep: 'src:cm,type:file' },
      /invalid source type "file", supported values are: configMap, secret/,
    ],
  ])('%j is refused: %s', (opts, message) => {
    const found = problems(opts as CreateVmOptions);
    expect(found).toHaveLength(1);
    if (typeof message === 'string') expect(found[0]).toBe(message);
    else expect(found[0]).toMatch(message);
  });

  test('names and boot orders are unique across every volume flag', () => {
    expect(problems({ volumePvc: ['src:a'], volumeImport: ['type:blank,size:1Gi,name:a'] })).toEqual([
      `--volume-import "type:blank,size:1Gi,name:a": there is already a volume with name 'a'; give this one another name with name:...`,
    ]);
    expect(problems({ volumePvc: ['src:a,bootorder:1', 'src:b,bootorder:1'] })).toEqual([
      `--volume-pvc "src:b,bootorder:1": bootorder 1 was specified multiple times (volume 'a' has it); give each boot volume its own number`,
    ]);
  });

  test("a DataVolume template CDI's admission would refuse is refused now", () => {
    expect(problems({ volumeImport: ['type:registry,url:quay.io/x/y,size:1Gi,name:root'] })).toEqual([
      'the DataVolume root these flags make would be refused: spec.source.registry.url: registry URL "quay.io/x/y" has no supported scheme; start it with docker:// or oci-archive://',
    ]);
  });
});

describe('create vm: instancetype and preference inference', () => {
  test('--infer-instancetype reads the first boot volume and drops --memory; the preference follows by default', () => {
    const { vm } = make({
      volumeContainerdisk: ['src:quay.io/x/y'],
      volumeImport: ['type:ds,src:os/fedora,name:root,bootorder:1'],
      inferInstancetype: true,
    });
    expect(vm.spec.instancetype).toEqual({ inferFromVolume: 'root' });
    expect(vm.spec.preference).toEqual({ inferFromVolume: 'root', inferFromVolumeFailurePolicy: 'Ignore' });
    expect(tmpl(vm).domain.memory).toBeUndefined();
    expectValid(vm);
  });

  test('unasked, no instancetype is inferred (virtkit refuses --memory beside one); a preference is, leniently', () => {
    const { vm } = make({ volumePvc: ['src:root'] });
    expect(vm.spec.instancetype).toBeUndefined();
    expect(tmpl(vm).domain.memory).toEqual({ guest: '512Mi' });
    expect(vm.spec.preference).toEqual({ inferFromVolume: 'root', inferFromVolumeFailurePolicy: 'Ignore' });
    expectValid(vm);
  });

  test('--infer-*-from names the volume; asked-for inference keeps no Ignore policy', () => {
    const { vm } = make({
      volumePvc: ['src:root', 'src:data'],
      inferInstancetypeFrom: 'data',
      inferPreferenceFrom: 'root',
    });
    expect(vm.spec.instancetype).toEqual({ inferFromVolume: 'data' });
    expect(vm.spec.preference).toEqual({ inferFromVolume: 'root' });
    expectValid(vm);
  });

  test('--infer-preference=false and a named preference stop preference inference', () => {
    expect(make({ volumePvc: ['src:root'], inferPreference: false }).vm.spec.preference).toBeUndefined();
    expect(make({ volumePvc: ['src:root'], preference: 'p' }).vm.spec.preference).toEqual({ name: 'p' });
  });

  test('unasked inference skips volumes it cannot read; asked-for inference says why', () => {
    expect(make({ volumeContainerdisk: ['src:a/b'] }).vm.spec.preference).toBeUndefined();
    expect(problems({ volumeContainerdisk: ['src:a/b'], inferPreference: true })).toEqual([
      '--infer-preference: inference of instancetype or preference works only with DataSources, DataVolumes or PersistentVolumeClaims',
    ]);
    expect(problems({ volumeImport: ['type:blank,size:1Gi'], inferInstancetype: true })[0]).toMatch(
      /^--infer-instancetype: this DataVolume is not valid to infer an instancetype or preference from/,
    );
    expect(problems({ inferInstancetype: true })[0]).toMatch(/at least one volume is needed to infer/);
    expect(problems({ volumePvc: ['src:root'], inferInstancetypeFrom: 'data' })).toEqual([
      `--infer-instancetype-from "data": there is no volume with name 'data'; name one of the VM's volumes`,
    ]);
  });
});

describe('create vm: cloud-init and access credentials', () => {
  test("--user, --password-file and --ssh-key make virtctl's #cloud-config on a NoCloud disk", () => {
    const { vm, warnings } = make({
      user: 'fedora',
      passwordFile: '/run/pw',
      password: 's3cret',
      sshKey: ['ssh-ed25519 AAAAC3Nza me@host', 'ssh-rsa AAAAB3Nza other'],
    });
    expect(tmpl(vm).volumes).toEqual([
      {
        name: 'cloudinitdisk',
        cloudInitNoCloud: {
          userData: [
            '#cloud-config',
            'user: fedora',
            'password: s3cret',
            'chpasswd: { expire: False }',
            'ssh_authorized_keys:',
            '  - ssh-ed25519 AAAAC3Nza me@host',
            '  - ssh-rsa AAAAB3Nza other',
          ].join('\n'),
        },
      },
    ]);
    expect(tmpl(vm).domain.devices.disks).toEqual([{ name: 'cloudinitdisk' }]);
    expect(warnings).toEqual([
      'WARNING: --password-file: The password is stored in cleartext in the VM definition!',
    ]);
    expectValid(vm);
  });

  test('values YAML would misread are quoted, so cloud-init reads back exactly what was given', () => {
    const key = 'ssh-ed25519 AAAA me: #laptop';
    const { vm } = make({ user: 'yes', sshKey: [key] });
    const userData = tmpl(vm).volumes![0].cloudInitNoCloud!.userData!;
    expect(parse(userData)).toEqual({ user: 'yes', ssh_authorized_keys: [key] });
  });

  test('a newline in a value could forge cloud-config keys: refused', () => {
    expect(problems({ sshKey: ['ssh-ed25519 AAAA\nruncmd: [reboot]'] })[0]).toMatch(
      /^--ssh-key "ssh-ed25519 AAAA\\nruncmd.*not an SSH public key/,
    );
    expect(problems({ user: 'root\nsudo: ALL' })[0]).toMatch(/^--user .*not a user name/);
    expect(problems({ passwordFile: '/pw', password: 'a\nb' })[0]).toMatch(
      /^--password-file "\/pw": the password must be one line/,
    );
    expect(problems({ passwordFile: '/pw', password: '' })[0]).toMatch(/the file holds no password/);
  });

  test('--cloud-init configdrive and base64 user and network data go to a config drive as they are', () => {
    const userData = Buffer.from('#cloud-config\nhostname: web\n').toString('base64');
    const networkData = Buffer.from('version: 2\n').toString('base64');
    const { vm } = make({
      cloudInit: 'ConfigDrive',
      cloudInitUserData: userData,
      cloudInitNetworkData: networkData,
    });
    expect(tmpl(vm).volumes).toEqual([
      {
        name: 'cloudinitdisk',
        cloudInitConfigDrive: { networkDataBase64: networkData, userDataBase64: userData },
      },
    ]);
    expectValid(vm);
  });

  test('--cloud-init none makes no volume and says the other flags are unused; nocloud alone makes a header', () => {
    const none = make({ cloudInit: 'none', sshKey: ['ssh-ed25519 AAAA'] });
    expect(tmpl(none.vm).volumes).toBeUndefined();
    expect(none.warnings).toEqual([
      'WARNING: --cloud-init: was set to none, not creating a data source although other cloud-init options were set',
    ]);
    expect(tmpl(make({ cloudInit: 'nocloud' }).vm).volumes).toEqual([
      { name: 'cloudinitdisk', cloudInitNoCloud: { userData: '#cloud-config' } },
    ]);
  });

  test('bad cloud-init values and combinations are refused, each named', () => {
    expect(problems({ cloudInit: 'ignition' })).toEqual([
      '--cloud-init "ignition": invalid cloud-init data source type; use one of nocloud, configdrive, none',
    ]);
    expect(problems({ cloudInitUserData: '#cloud-config' })[0]).toMatch(
      /^--cloud-init-user-data "#cloud-config": not base64/,
    );
    expect(problems({ cloudInitUserData: 'aGk=', user: 'me', sshKey: ['k'] })).toEqual([
      '--cloud-init-user-data excludes --user, --ssh-key: it is the whole user data, so put the user, password or keys in it, or leave it out',
    ]);
    const big = Buffer.alloc(3000, 'a').toString('base64');
    expect(problems({ cloudInitNetworkData: big })[0]).toMatch(
      /decodes to 3000 bytes; KubeVirt takes at most 2048/,
    );
    const keys = Array.from(
      { length: 40 },
      (_, i) => `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${i}AAAAAAAAAAAAAAAAAAAA`,
    );
    expect(problems({ sshKey: keys })[0]).toMatch(
      /user data .* is \d+ bytes; KubeVirt takes at most 2048 bytes inline/,
    );
  });

  test('an ssh credential for the guest agent names its user and lets the agent manage SSH', () => {
    const { vm } = make({ user: 'fedora', accessCred: ['type:ssh,src:my-keys', 'src:more-keys,user:admin'] });
    expect(tmpl(vm).accessCredentials).toEqual([
      {
        sshPublicKey: {
          source: { secret: { secretName: 'my-keys' } },
          propagationMethod: { qemuGuestAgent: { users: ['fedora'] } },
        },
      },
      {
        sshPublicKey: {
          source: { secret: { secretName: 'more-keys' } },
          propagationMethod: { qemuGuestAgent: { users: ['admin'] } },
        },
      },
    ]);
    expect(tmpl(vm).volumes![0].cloudInitNoCloud!.userData).toBe(
      "#cloud-config\nuser: fedora\nruncmd:\n  - [ setsebool, -P, 'virt_qemu_ga_manage_ssh', 'on' ]",
    );
    expectValid(vm);
    // Said explicitly, --ga-manage-ssh=false wins: nothing is left to put in user data.
    expect(tmpl(make({ accessCred: ['src:k,user:me'], gaManageSsh: false }).vm).volumes).toBeUndefined();
  });

  test('ssh through NoCloud or a config drive picks that --cloud-init; a different one is refused', () => {
    const { vm } = make({ accessCred: ['src:keys,method:configdrive'] });
    expect(tmpl(vm).accessCredentials![0].sshPublicKey!.propagationMethod).toEqual({ configDrive: {} });
    expect(tmpl(vm).volumes).toEqual([
      { name: 'cloudinitdisk', cloudInitConfigDrive: { userData: '#cloud-config' } },
    ]);
    expectValid(vm);
    expect(problems({ accessCred: ['src:keys,method:nocloud'], cloudInit: 'configdrive' })).toEqual([
      '--access-cred "src:keys,method:nocloud": method param and value passed to --cloud-init have to match: nocloud vs configdrive; give --cloud-init nocloud or method:configdrive',
    ]);
  });

  test('a password credential goes through the guest agent', () => {
    const { vm } = make({ accessCred: ['type:password,src:passwords'] });
    expect(tmpl(vm).accessCredentials).toEqual([
      {
        userPassword: {
          source: { secret: { secretName: 'passwords' } },
          propagationMethod: { qemuGuestAgent: {} },
        },
      },
    ]);
    expect(tmpl(vm).volumes).toBeUndefined();
    expectValid(vm);
  });

  test.each([
    [
      'type:ssh,src:keys',
      /user must be specified with access credential ssh method ga \("--user" flag or param "user"\)/,
    ],
    [
      'type:password,src:pw,user:me',
      /user cannot be specified with selected access credential type and method/,
    ],
    ['src:keys,method:nocloud,user:me', /user cannot be specified/],
    [
      'type:password,src:pw,method:nocloud',
      /invalid access credentials password method "nocloud", supported values are: ga/,
    ],
    ['type:ssh,src:keys,method:agent,user:me', /invalid access credentials ssh method "agent"/],
    ['type:token,src:x', /invalid access credential type "token", supported values are: ssh, password/],
    ['type:ssh,user:me', /src must be specified/],
    ['src:other/keys,user:me', /not allowed to specify namespace of secret "keys"/],
  ])('--access-cred %s is refused', (text, message) => {
    const found = problems({ accessCred: [text] });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(message);
  });
});

describe('create vm: bad flags', () => {
  test('every problem is reported at once, each naming its flag and value', () => {
    expect(
      problems({
        name: 'Web_1',
        namespace: 'Prod',
        runStrategy: 'Sometimes',
        terminationGracePeriod: '-5',
        memory: 'plenty',
        volumeContainerdisk: ['image:x'],
      }),
    ).toEqual([
      "--namespace \"Prod\": must be a lowercase RFC 1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit (for example 'my-name' or '123-abc')",
      "--name \"Web_1\": must be a lowercase RFC 1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit (for example 'my-name' or '123-abc')",
      '--run-strategy "Sometimes": invalid RunStrategy; use one of Always, Manual, Halted, Once, RerunOnFailure',
      '--termination-grace-period "-5": not a whole number of seconds (0 or more)',
      '--memory "plenty": not a quantity; write it like 512Mi or 20Gi',
      '--volume-containerdisk "image:x": unknown param(s) image; the supported ones are name, src, bootorder',
    ]);
  });

  test("WaitAsReceiver is a migration target's strategy, not one virtctl offers", () => {
    expect(problems({ runStrategy: 'WaitAsReceiver' })[0]).toMatch(/invalid RunStrategy/);
  });
});

describe('every manifest create vm makes passes virtkit validation', () => {
  const cases: [string, CreateVmOptions][] = [
    ['defaults', {}],
    [
      'containerdisk with cloud-init',
      {
        volumeContainerdisk: ['src:quay.io/containerdisks/fedora:41'],
        user: 'fedora',
        sshKey: ['ssh-ed25519 AAAA'],
      },
    ],
    [
      'instancetype, preference, DataSource',
      { instancetype: 'u1.medium', preference: 'fedora', volumeImport: ['type:ds,src:os/fedora,size:30Gi'] },
    ],
    [
      'explicit inference',
      { volumeImport: ['type:ds,src:os/fedora'], inferInstancetype: true, inferPreference: true },
    ],
    [
      'every import type',
      {
        volumeImport: [
          'type:blank,size:1Gi',
          'type:gcs,url:gs://b/d,size:1Gi',
          'type:http,url:https://h/d,size:1Gi',
          'type:imageio,url:https://e/api,diskid:d,size:1Gi',
          'type:pvc,src:ns/p',
          'type:registry,imagestream:fedora,size:1Gi',
          'type:s3,url:https://s3/b/d,size:1Gi',
          'type:vddk,url:https://vc,uuid:u,thumbprint:t,secretref:s,backingfile:f,size:1Gi',
          'type:snapshot,src:ns/s',
          'type:ds,src:d',
        ],
      },
    ],
    [
      'access credentials of every kind',
      {
        user: 'me',
        accessCred: ['src:a', 'type:password,src:b'],
      },
    ],
    [
      'nocloud ssh credential',
      {
        accessCred: ['src:keys,method:nocloud'],
        cloudInitNetworkData: Buffer.from('version: 2').toString('base64'),
      },
    ],
    [
      'sysprep, pvc and boot orders',
      {
        volumeSysprep: 'src:answers',
        volumePvc: ['src:win,bootorder:2'],
        volumeContainerdisk: ['src:virtio-win,bootorder:1'],
      },
    ],
    [
      'namespaced, halted, no grace',
      { namespace: 'team-a', runStrategy: 'Halted', terminationGracePeriod: '0', memory: '128Mi' },
    ],
  ];
  test.each(cases)('%s', (_, opts) => {
    const { vm } = createVm(opts);
    expectValid(vm);
    // What is printed parses back to the same object.
    expect(parse(JSON.stringify(vm))).toEqual(vm);
  });
});
