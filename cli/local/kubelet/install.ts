/**
 * `virtkit up --runtime kubelet` installs virtkit into its own cluster the way a user installs
 * it into theirs: the objects `virtkit install -o yaml` prints (api/install), for the images
 * imported into the nodes (./images.ts), applied with the real `kubectl apply --server-side`,
 * then awaited: the Deployments and the handler DaemonSet Available and the APIServices
 * reaching the api's pods.
 */
import { execFileSync } from 'child_process';
import { installYaml } from '../../commands/install';
import { renderInstall, type KubeObject } from '../../../api/install/render';
import { API, CONTROLLER, HANDLER } from '../../../api/install/names';
import { APISERVICE_NAME } from '../../../apiserver/subresources/registration';
import { UPLOAD_APISERVICE_NAME } from '../../../apiserver/upload/registration';
import { DAEMON_SETS, DEPLOYMENTS, KubeClient, type Json } from '../../../kube';
import { awaitApiServices, awaitAvailable } from '../await-available';
import { findBinary } from '../binaries';
import { waitEstablished } from '../crds';
import { CrdInstallError } from '../errors';
import type { ClusterImages } from './images';

/** The install's namespace in local mode (the default of `virtkit install`). */
export const LOCAL_INSTALL_NAMESPACE = 'virtkit';
/** kubectl's field manager for the install `up` applies. */
export const UP_FIELD_MANAGER = 'virtkit-up';

export class ClusterInstallError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClusterInstallError';
  }
}

/** The install in the two steps `up` applies it in. */
export interface InstallPlan {
  /** The namespace and the CRDs, applied first: the rest holds objects of those kinds. */
  readonly definitions: readonly KubeObject[];
  /** Everything else, in the install's order. */
  readonly objects: readonly KubeObject[];
}

/** What `up` passes on to the install of its kubelet nodes. */
export interface LocalInstallSettings {
  readonly featureGates?: readonly string[];
  /** The KubeVirt object's useEmulation (up sets it where KVM does not boot a guest). */
  readonly useEmulation?: boolean;
  /** `--registry-mirror` values: the handlers' containerDisk pulls. */
  readonly registryMirrors?: readonly string[];
}

/**
 * The install for local mode's kubelet nodes (pure): the imported images, never pulled, the
 * network and snapshot CRDs local mode serves, the feature gates and registry mirrors given to `up`.
 */
export function localClusterInstall(images: ClusterImages, settings: LocalInstallSettings = {}): InstallPlan {
  const all = renderInstall({
    namespace: LOCAL_INSTALL_NAMESPACE,
    virtkitImage: images.virtkit.ref,
    launcherImage: images.launcher.ref,
    imagePullPolicy: 'Never',
    featureGates: settings.featureGates ?? [],
    ...(settings.useEmulation ? { useEmulation: true } : {}),
    withNetworkCrds: true,
    withVolumeSnapshotCrds: true,
    ...(settings.registryMirrors?.length ? { registryMirrors: settings.registryMirrors } : {}),
  });
  const isDefinition = (o: KubeObject): boolean =>
    o.kind === 'Namespace' || o.kind === 'CustomResourceDefinition';
  return { definitions: all.filter(isDefinition), objects: all.filter((o) => !isDefinition(o)) };
}

/** Whether a Deployment has all its replicas updated and available (pure), and if not, what it has. */
export function deploymentAvailability(d: Json | undefined): { available: boolean; message: string } {
  if (!d) return { available: false, message: 'not found' };
  const spec = (d.spec ?? {}) as { replicas?: number };
  const status = (d.status ?? {}) as {
    observedGeneration?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    conditions?: { type: string; status: string; message?: string }[];
  };
  const want = spec.replicas ?? 1;
  const generation = (d.metadata as { generation?: number } | undefined)?.generation;
  const message = `${status.availableReplicas ?? 0}/${want} available, ${status.updatedReplicas ?? 0} updated`;
  const available =
    (generation === undefined || status.observedGeneration === generation) &&
    (status.updatedReplicas ?? 0) >= want &&
    (status.availableReplicas ?? 0) >= want &&
    (status.conditions ?? []).some((c) => c.type === 'Available' && c.status === 'True');
  const why = (status.conditions ?? [])
    .filter((c) => c.status !== 'True' && c.message)
    .map((c) => `${c.type}: ${c.message}`);
  return { available, message: why.length ? `${message}; ${why.join('; ')}` : message };
}

/** `kubectl apply --server-side` of the objects, as a user applies `virtkit install -o yaml`. */
export function kubectlApply(kubeconfig: string, objects: readonly KubeObject[]): string {
  try {
    return execFileSync(
      findBinary('kubectl'),
      ['--kubeconfig', kubeconfig, 'apply', '--server-side', '--field-manager', UP_FIELD_MANAGER, '-f', '-'],
      { input: installYaml(objects), encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], timeout: 120_000 },
    );
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new ClusterInstallError(
      `kubectl apply --server-side of virtkit's install failed: ${(err.stderr || err.message).trim()}`,
    );
  }
}

export interface ClusterInstallOptions {
  readonly client: KubeClient;
  readonly kubeconfig: string;
  /** What to apply (localClusterInstall). */
  readonly plan: InstallPlan;
  /** How long the CRDs, the Deployments, the DaemonSet and the APIServices get to become available. */
  readonly timeoutMs: number;
  readonly log: (line: string) => void;
}

/** The install's namespace and CRDs, applied, each CRD awaited until Established. */
export async function applyInstallDefinitions(o: ClusterInstallOptions): Promise<void> {
  kubectlApply(o.kubeconfig, o.plan.definitions);
  const crds = o.plan.definitions
    .filter((d) => d.kind === 'CustomResourceDefinition')
    .map((d) => d.metadata.name);
  const failures = await waitEstablished(o.client, crds, o.timeoutMs);
  if (failures.length) throw new CrdInstallError(failures);
  o.log(
    `install: namespace ${LOCAL_INSTALL_NAMESPACE} and ${crds.length} CRDs Established (kubectl apply --server-side)`,
  );
}

/**
 * Applies the rest of the install (after applyInstallDefinitions, once the nodes can run its
 * pods) and waits until its Deployments and DaemonSet are Available and its APIServices answer.
 */
export async function installIntoCluster(o: ClusterInstallOptions): Promise<void> {
  const applied = kubectlApply(o.kubeconfig, o.plan.objects);
  o.log(`install: applied ${applied.trim().split('\n').length} objects (kubectl apply --server-side)`);
  const deadline = Date.now() + o.timeoutMs;
  const within = `within ${o.timeoutMs / 1000}s`;
  const describe = (kind: string, name: string): string =>
    `see \`kubectl -n ${LOCAL_INSTALL_NAMESPACE} describe ${kind} ${name}\` and its pods' logs`;
  const workloads = [
    {
      kind: 'Deployment',
      name: CONTROLLER,
      rt: DEPLOYMENTS,
      availability: deploymentAvailability,
      hint: describe('deployment', CONTROLLER),
    },
    {
      kind: 'Deployment',
      name: API,
      rt: DEPLOYMENTS,
      availability: deploymentAvailability,
      hint: describe('deployment', API),
    },
    {
      kind: 'DaemonSet',
      name: HANDLER,
      rt: DAEMON_SETS,
      availability: daemonSetAvailability,
      hint: `see \`kubectl -n ${LOCAL_INSTALL_NAMESPACE} logs daemonset/${HANDLER}\``,
    },
  ];
  for (const w of workloads) {
    const state = await awaitAvailable(
      async () =>
        w.availability(
          (await o.client.get(w.rt, LOCAL_INSTALL_NAMESPACE, w.name).catch(() => undefined)) as
            Json | undefined,
        ),
      deadline,
      (last) =>
        new ClusterInstallError(
          `the ${w.kind} ${LOCAL_INSTALL_NAMESPACE}/${w.name} was not Available ${within} (${last.message}); ${w.hint}`,
        ),
    );
    o.log(`install: ${w.kind} ${LOCAL_INSTALL_NAMESPACE}/${w.name} Available (${state.message})`);
  }
  await awaitApiServices(
    o.client,
    deadline,
    (name, last) =>
      new ClusterInstallError(
        `the APIService ${name} did not become Available ${within}: ${last.message}; ` +
          `the API server reaches the api's pods at their addresses (--enable-aggregator-routing): see \`kubectl -n ${LOCAL_INSTALL_NAMESPACE} logs deployment/${API}\``,
      ),
  );
  o.log(`install: APIServices ${APISERVICE_NAME} and ${UPLOAD_APISERVICE_NAME} Available`);
}

/** One of the install's workloads as `virtkit status` shows it. */
export interface WorkloadStatus {
  readonly kind: 'Deployment' | 'DaemonSet';
  readonly name: string;
  readonly available: boolean;
  readonly message: string;
}

/** Whether a DaemonSet runs an updated, available pod on every node it should (pure). */
export function daemonSetAvailability(d: Json | undefined): { available: boolean; message: string } {
  if (!d) return { available: false, message: 'not found' };
  const s = (d.status ?? {}) as {
    desiredNumberScheduled?: number;
    numberAvailable?: number;
    updatedNumberScheduled?: number;
  };
  const want = s.desiredNumberScheduled ?? 0;
  return {
    available: want > 0 && (s.numberAvailable ?? 0) >= want && (s.updatedNumberScheduled ?? 0) >= want,
    message: `${s.numberAvailable ?? 0}/${want} available, ${s.updatedNumberScheduled ?? 0} updated`,
  };
}

/** The install's Deployments and DaemonSets in the cluster, and how available each is. */
export async function clusterWorkloads(kubeconfig: string): Promise<WorkloadStatus[]> {
  const client = KubeClient.connect({ kubeconfig });
  try {
    const deployments = await client.list(DEPLOYMENTS, LOCAL_INSTALL_NAMESPACE);
    const daemonSets = await client.list(DAEMON_SETS, LOCAL_INSTALL_NAMESPACE);
    const name = (o: Json): string => String((o.metadata as { name?: string } | undefined)?.name);
    return [
      ...deployments.items.map((d) => ({
        kind: 'Deployment' as const,
        name: name(d),
        ...deploymentAvailability(d),
      })),
      ...daemonSets.items.map((d) => ({
        kind: 'DaemonSet' as const,
        name: name(d),
        ...daemonSetAvailability(d),
      })),
    ].sort((a, b) => a.name.localeCompare(b.name));
  } finally {
    client.close();
  }
}
