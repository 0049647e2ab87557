import { renderInstall } from '../../../api/install/render';
import type { ClusterImages } from './images';
import { daemonSetAvailability, deploymentAvailability, localClusterInstall } from './install';

const image = (name: 'virtkit' | 'virtkit-launcher', tag: string) => ({
  name,
  ref: `virtkit.local/${name}:${tag}`,
  repository: `virtkit.local/${name}`,
  digest: `sha256:${'a'.repeat(64)}`,
  archive: `/cache/${name}.oci.tar`,
  archiveBytes: 1,
});
const IMAGES: ClusterImages = {
  virtkit: image('virtkit', '0.1.0-111111111111'),
  launcher: image('virtkit-launcher', '0.1.0-222222222222'),
};

type Container = { name: string; image: string; imagePullPolicy: string; args: string[] };
const containersOf = (o: Record<string, unknown>): Container[] =>
  ((o.spec as { template: { spec: { containers: Container[] } } }).template.spec.containers ??
    []) as Container[];

describe('the install `up --runtime kubelet` applies', () => {
  const plan = localClusterInstall(IMAGES, { featureGates: ['HostDisk'] });

  test('is the rendered install for the imported images, never pulled', () => {
    const full = renderInstall({
      namespace: 'virtkit',
      virtkitImage: IMAGES.virtkit.ref,
      launcherImage: IMAGES.launcher.ref,
      imagePullPolicy: 'Never',
      featureGates: ['HostDisk'],
      withNetworkCrds: true,
      withVolumeSnapshotCrds: true,
    });
    expect([...plan.definitions, ...plan.objects]).toEqual(full);
    // The namespace and the CRDs go first, on their own: the rest holds objects of those kinds.
    expect(new Set(plan.definitions.map((o) => o.kind))).toEqual(
      new Set(['Namespace', 'CustomResourceDefinition']),
    );
    expect(plan.objects.filter((o) => o.kind === 'CustomResourceDefinition')).toEqual([]);
  });

  test('the controller, the api and the handler run the virtkit image; launcher pods the launcher image', () => {
    const deployments = plan.objects.filter((o) => o.kind === 'Deployment');
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual(['virtkit-api', 'virtkit-controller']);
    const handler = plan.objects.filter((o) => o.kind === 'DaemonSet');
    expect(handler.map((d) => d.metadata.name)).toEqual(['virtkit-handler']);
    for (const d of [...deployments, ...handler])
      for (const c of containersOf(d)) {
        expect(c.image).toBe(IMAGES.virtkit.ref);
        expect(c.imagePullPolicy).toBe('Never');
      }
    const controller = containersOf(deployments.find((d) => d.metadata.name === 'virtkit-controller')!)[0]!;
    expect(controller.args).toEqual(expect.arrayContaining(['--launcher-image', IMAGES.launcher.ref]));
  });

  test('the feature gates go into the KubeVirt object', () => {
    const kv = plan.objects.find((o) => o.kind === 'KubeVirt') as unknown as {
      spec: { configuration: { developerConfiguration: { featureGates: string[] } } };
    };
    expect(kv.spec.configuration.developerConfiguration.featureGates).toEqual(['HostDisk']);
  });
});

describe('deploymentAvailability', () => {
  const deployment = (status: Record<string, unknown>, generation = 2) => ({
    metadata: { name: 'd', generation },
    spec: { replicas: 2 },
    status,
  });
  const availableTrue = { type: 'Available', status: 'True' };

  test('is available when every replica is updated and available and the controller saw the generation', () => {
    expect(
      deploymentAvailability(
        deployment({
          observedGeneration: 2,
          updatedReplicas: 2,
          availableReplicas: 2,
          conditions: [availableTrue],
        }),
      ),
    ).toEqual({ available: true, message: '2/2 available, 2 updated' });
  });

  test('is not while a replica is missing, an old generation is reported, or there is no such object', () => {
    expect(
      deploymentAvailability(
        deployment({
          observedGeneration: 2,
          updatedReplicas: 2,
          availableReplicas: 1,
          conditions: [availableTrue],
        }),
      ).available,
    ).toBe(false);
    expect(
      deploymentAvailability(
        deployment({
          observedGeneration: 1,
          updatedReplicas: 2,
          availableReplicas: 2,
          conditions: [availableTrue],
        }),
      ).available,
    ).toBe(false);
    expect(deploymentAvailability(undefined)).toEqual({ available: false, message: 'not found' });
  });

  test("names a false condition's message", () => {
    const state = deploymentAvailability(
      deployment({
        observedGeneration: 2,
        conditions: [
          { type: 'Available', status: 'False', message: 'Deployment does not have minimum availability.' },
        ],
      }),
    );
    expect(state).toEqual({
      available: false,
      message: '0/2 available, 0 updated; Available: Deployment does not have minimum availability.',
    });
  });
});

describe('daemonSetAvailability', () => {
  test('is available when every node it should run on has an updated, available pod', () => {
    expect(
      daemonSetAvailability({
        status: { desiredNumberScheduled: 2, numberAvailable: 2, updatedNumberScheduled: 2 },
      }),
    ).toEqual({ available: true, message: '2/2 available, 2 updated' });
    expect(
      daemonSetAvailability({
        status: { desiredNumberScheduled: 2, numberAvailable: 1, updatedNumberScheduled: 2 },
      }).available,
    ).toBe(false);
    // Scheduled nowhere is not available.
    expect(daemonSetAvailability({ status: {} })).toEqual({
      available: false,
      message: '0/0 available, 0 updated',
    });
  });
});
