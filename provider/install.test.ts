import * as pulumi from '@pulumi/pulumi';
import { crds } from '../api';
import { INSTALL_OPTION_NAMES, installObjectKey, renderInstall } from '../api/install';
import { packageSchema } from './plugin/package-schema';
import { Install } from './install';
import { recordRegistrations, valueOf } from './testing/mocks';

const registered = recordRegistrations();

/** The children `name` registered, once each has been. */
async function childrenOf(install: Install, name: string) {
  await Promise.all(Object.values(install.resources).map((r) => valueOf(r.urn)));
  return registered.filter((r) => r.type.startsWith('kubernetes:') && r.name.startsWith(`${name}-`));
}

describe('virtkit:index:Install', () => {
  it('creates every object of the install as its own typed child; CRD children keep their names', async () => {
    const install = new Install('full');
    const children = await childrenOf(install, 'full');
    expect(Object.keys(install.resources)).toEqual(renderInstall().map(installObjectKey));
    expect(children).toHaveLength(renderInstall().length);
    const typeOf = (name: string) => children.find((c) => c.name === name)?.type;
    for (const crd of crds())
      expect(typeOf(`full-${crd.metadata.name}`)).toBe(
        'kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition',
      );
    expect(typeOf('full-virtkit-controller')).toBeDefined();
    expect(
      children
        .filter((c) => c.name === 'full-virtkit-controller')
        .map((c) => c.type)
        .sort(),
    ).toEqual([
      'kubernetes:apps/v1:Deployment',
      'kubernetes:core/v1:ServiceAccount',
      'kubernetes:policy/v1:PodDisruptionBudget',
    ]);
    expect(typeOf('full-virtkit-handler')).toBeDefined();
    expect(
      children.filter((c) => c.type === 'kubernetes:kubevirt.io/v1:KubeVirt').map((c) => c.name),
    ).toEqual(['full-virtkit']);
    // An object outside the install's namespace has it in its child's name.
    expect(typeOf('full-kube-system-virtkit:api:extension-apiserver-authentication-reader')).toBe(
      'kubernetes:rbac.authorization.k8s.io/v1:RoleBinding',
    );
    expect(install.namespace).toBe('virtkit');
    expect(install.crdNames).toEqual(crds().map((c) => c.metadata.name));
  });

  it('with crdsOnly, creates the CRDs and nothing else', async () => {
    const install = new Install('only', { crdsOnly: true, withNetworkCrds: true });
    const children = await childrenOf(install, 'only');
    expect(children.map((c) => c.type)).toEqual(
      crds({ withNetworkCrds: true }).map(
        () => 'kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition',
      ),
    );
    expect(install.crdNames).toContain('subnets.kubeovn.io');
  });

  it('creates cert-manager objects as custom resources in cert-manager mode', async () => {
    const install = new Install('cm', { certificates: 'cert-manager', namespace: 'vk' });
    const children = await childrenOf(install, 'cm');
    expect(
      children
        .filter((c) => c.type.startsWith('kubernetes:cert-manager.io/v1:'))
        .map((c) => `${c.type.split(':').at(-1)} ${c.name}`)
        .sort(),
    ).toEqual([
      'Certificate cm-virtkit-api',
      'Certificate cm-virtkit-api-node-client',
      'Certificate cm-virtkit-ca',
      'Certificate cm-virtkit-handler',
      'Certificate cm-virtkit-node-ca',
      'Issuer cm-virtkit-ca',
      'Issuer cm-virtkit-node-ca',
      'Issuer cm-virtkit-selfsigned',
    ]);
    expect(await valueOf(pulumi.output(install.namespace))).toBe('vk');
  });

  it('refuses bad input with a ResourceError naming the component, every option, the value and the fix', () => {
    expect(
      () =>
        new Install('bad', {
          controllerReplicas: -1,
          certificates: 'vault' as 'self-signed',
          crdsOnly: 'no' as never,
        }),
    ).toThrow(/virtkit:index:Install "bad" is invalid \(1 error\):\n {2}- crdsOnly: "no" is not a boolean/);
    expect(
      () => new Install('bad2', { controllerReplicas: -1, certificates: 'vault' as 'self-signed' }),
    ).toThrow(
      /virtkit:index:Install "bad2" is invalid \(2 errors\):\n {2}- controllerReplicas: -1 is not a whole number from 1 to 10.*\n {2}- certificates: "vault" is not a certificate mode/,
    );
  });
});

test('the multi-language schema declares every install option, and crdsOnly', () => {
  expect(Object.keys(packageSchema().resources['virtkit:index:Install'].inputProperties).sort()).toEqual(
    [...INSTALL_OPTION_NAMES, 'crdsOnly'].sort(),
  );
});
