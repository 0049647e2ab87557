/**
 * `virtkit api` serving the aggregated API subresources.kubevirt.io/v1 through the shared control
 * plane's API server, as suites use it: the api's own identity and the user roles installed
 * (`installRbac`), `virtkit api` started as its least-privilege user, the ExternalName Service
 * virtkit/virtkit-api and the APIService v1.subresources.kubevirt.io applied, and the APIService
 * `Available`. Requests then go through the API server (`kubectl get --raw`, KubeClient).
 *
 * The APIService has one possible name, so one suite at a time may own it: starting takes a lock
 * file in the control plane's state folder (waiting while another suite holds it, taking it over
 * from a worker that is gone or a holder older than LOCK_MAX_AGE_MS), and `stop()` removes the
 * APIService and the Service, stops the api and releases the lock.
 */
import * as fs from 'fs';
import * as path from 'path';
import {
  APISERVICE_NAME,
  API_SERVICE_NAME,
  API_SERVICE_NAMESPACE,
  apiServiceAvailability,
  localApiServiceObject,
  subresourcesApiService,
} from '../../../apiserver/subresources/registration';
import { UPLOAD_APISERVICE_NAME, uploadApiService } from '../../../apiserver/upload/registration';
import { componentKubeconfig, layout } from '../../../cli/local/layout';
import { installRbac } from '../../../cli/local/rbac';
import { APISERVICES, isAlreadyExists, NAMESPACES, SERVICES, type KubeClient } from '../../../kube';
import { readShared } from './shared-controlplane';
import { startVirtkitApi, type RunningVirtkitApi } from './virtkit-api';

/** Polls `check` every 250 ms until it holds; fails after `ms` saying what it waited for (and `context()`). */
export async function waitUntil(
  what: string | (() => string),
  check: () => Promise<boolean> | boolean,
  ms = 90_000,
  context?: () => string,
): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end)
      throw new Error(
        `timed out waiting until ${typeof what === 'string' ? what : what()}${context ? `\n${context()}` : ''}`,
      );
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** A holder this old is taken to have forgotten the lock (a suite's whole run takes minutes). */
export const LOCK_MAX_AGE_MS = 20 * 60_000;
const LOCK_WAIT_MS = 15 * 60_000;

function lockFile(): string {
  return path.join(readShared().stateDir, 'subresources-apiservice.lock');
}

function holderIsGone(file: string): boolean {
  try {
    const { pid, at } = JSON.parse(fs.readFileSync(file, 'utf8')) as { pid: number; at: number };
    if (Date.now() - at > LOCK_MAX_AGE_MS) return true;
    process.kill(pid, 0);
    return false;
  } catch (err) {
    // No such process (ESRCH), or a lock file half written or already gone: take it over.
    return (err as NodeJS.ErrnoException).code !== 'EPERM';
  }
}

/** Takes the APIService lock for this suite; resolves with its release. */
async function lockApiService(owner: string): Promise<() => void> {
  const file = lockFile();
  const token = `${process.pid}-${owner}-${Date.now()}`;
  await waitUntil(
    () =>
      `the APIService ${APISERVICE_NAME} is free (held as ${fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : 'nothing'})`,
    () => {
      try {
        fs.writeFileSync(file, JSON.stringify({ pid: process.pid, at: Date.now(), owner, token }), {
          flag: 'wx',
        });
        return true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        if (holderIsGone(file)) fs.rmSync(file, { force: true });
        return false;
      }
    },
    LOCK_WAIT_MS,
  );
  return () => {
    try {
      if ((JSON.parse(fs.readFileSync(file, 'utf8')) as { token: string }).token === token) fs.rmSync(file);
    } catch {
      // Already released or taken over.
    }
  };
}

export interface SubresourceApi {
  readonly api: RunningVirtkitApi;
  /** The api's local port (direct requests, bypassing the API server). */
  readonly port: number;
  /** Removes the APIService and the Service, stops the api, releases the lock. */
  stop(): Promise<void>;
}

/**
 * Starts `virtkit api` as its own user and registers it as subresources.kubevirt.io/v1; resolves
 * once the APIService is Available. `owner` names the suite in the lock (for a stuck wait).
 */
export async function startSubresourceApi(
  client: KubeClient,
  owner: string,
  options: { logLevel?: string } = {},
): Promise<SubresourceApi> {
  // The api's own identity (virtkit:api, and the reader of the front-proxy settings) and the user roles.
  await installRbac(client);
  try {
    await client.create(NAMESPACES, undefined, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: API_SERVICE_NAMESPACE },
    });
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
  const release = await lockApiService(owner);
  let api: RunningVirtkitApi | undefined;
  const stop = async (): Promise<void> => {
    // The APIService first: an unavailable aggregated API would trouble every client's discovery.
    await client.delete(APISERVICES, undefined, APISERVICE_NAME).catch(() => undefined);
    await client.delete(APISERVICES, undefined, UPLOAD_APISERVICE_NAME).catch(() => undefined);
    await client.delete(SERVICES, API_SERVICE_NAMESPACE, API_SERVICE_NAME).catch(() => undefined);
    if (api && api.process.exitCode === null) api.process.kill('SIGTERM');
    release();
  };
  try {
    const started = await startVirtkitApi({
      kubeconfig: componentKubeconfig(layout(readShared().stateDir), 'virtkit-api'),
      logLevel: options.logLevel ?? 'debug',
    });
    api = started;
    const apiLog = () => `virtkit api's log:\n${started.log()}`;
    await waitUntil(
      'virtkit api serves, with the request-header configuration read',
      () => {
        if (started.process.exitCode !== null) throw new Error(`virtkit api exited:\n${started.log()}`);
        return started.log().includes('request-header authentication configured');
      },
      90_000,
      apiLog,
    );
    const port = Number(new URL(started.url).port);
    const ref = { namespace: API_SERVICE_NAMESPACE, name: API_SERVICE_NAME, port };
    await client.apply(SERVICES, ref.namespace, ref.name, localApiServiceObject(ref));
    await client.apply(
      APISERVICES,
      undefined,
      APISERVICE_NAME,
      subresourcesApiService({ ...ref, caBundlePem: started.caPem }),
    );
    // CDI's upload API, served by the same api (apiserver/upload/), registered beside it.
    await client.apply(
      APISERVICES,
      undefined,
      UPLOAD_APISERVICE_NAME,
      uploadApiService({ ...ref, caBundlePem: started.caPem }),
    );
    let last = '';
    await waitUntil(
      () => `the APIService ${APISERVICE_NAME} is Available (last: ${last})`,
      async () => {
        const state = apiServiceAvailability(await client.get(APISERVICES, undefined, APISERVICE_NAME));
        last = state.message;
        return state.available;
      },
      90_000,
      apiLog,
    );
    await waitUntil(
      () => `the APIService ${UPLOAD_APISERVICE_NAME} is Available (last: ${last})`,
      async () => {
        const state = apiServiceAvailability(
          await client.get(APISERVICES, undefined, UPLOAD_APISERVICE_NAME),
        );
        last = state.message;
        return state.available;
      },
      90_000,
      apiLog,
    );
    return { api: started, port, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
