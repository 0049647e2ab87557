/** The files of a cloud-init NoCloud (label cidata) or ConfigDrive (label config-2) disk. Pure. */
import type { Volume, VirtualMachineInstanceSpec } from '../../api/kubevirt/v1';
import type { ProblemList } from './errors';
import { derivedUuid } from './machine';
import type { LaunchContext } from './types';

export interface CloudInitImage {
  readonly label: 'cidata' | 'config-2';
  /** Path inside the image -> content. */
  readonly files: Record<string, string>;
}

function decode(b64: string, path: string, problems: ProblemList): string | undefined {
  const clean = b64.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean)) {
    problems.add(path, 'not valid base64; encode the data with `base64 -w0`', `${clean.slice(0, 20)}...`);
    return undefined;
  }
  return Buffer.from(clean, 'base64').toString('utf8');
}

export function cloudInitIso(
  vmiName: string,
  namespace: string,
  spec: VirtualMachineInstanceSpec,
  vol: Volume,
  vpath: string,
  ctx: LaunchContext,
  problems: ProblemList,
): CloudInitImage | undefined {
  const noCloud = vol.cloudInitNoCloud;
  const src = noCloud ?? vol.cloudInitConfigDrive;
  if (!src) return undefined;
  const field = `${vpath}.${noCloud ? 'cloudInitNoCloud' : 'cloudInitConfigDrive'}`;
  const secrets = ctx.cloudInitSecrets?.[vol.name];

  let userData = src.userData;
  if (userData === undefined && src.userDataBase64 !== undefined)
    userData = decode(src.userDataBase64, `${field}.userDataBase64`, problems);
  if (userData === undefined && src.secretRef) {
    userData = secrets?.userData;
    if (userData === undefined) {
      problems.add(
        `${field}.secretRef`,
        'the secret was not resolved for the launcher: the handler reads it (local or cluster mode); standalone put the data in userData',
        src.secretRef.name,
      );
    }
  }
  let networkData = src.networkData;
  if (networkData === undefined && src.networkDataBase64 !== undefined)
    networkData = decode(src.networkDataBase64, `${field}.networkDataBase64`, problems);
  if (networkData === undefined && src.networkDataSecretRef) {
    networkData = secrets?.networkData;
    if (networkData === undefined) {
      problems.add(
        `${field}.networkDataSecretRef`,
        'the secret was not resolved for the launcher: the handler reads it (local or cluster mode); standalone put the data in networkData',
        src.networkDataSecretRef.name,
      );
    }
  }
  if (userData === undefined && networkData === undefined && !src.secretRef && !src.networkDataSecretRef) {
    problems.add(field, 'has neither user data nor network data; set userData, userDataBase64 or secretRef');
  }

  const hostname = spec.hostname ?? vmiName;
  if (noCloud) {
    const files: Record<string, string> = {
      'meta-data': `instance-id: ${vmiName}.${namespace}\nlocal-hostname: ${hostname}\n`,
      'user-data': userData ?? '',
    };
    if (networkData !== undefined) files['network-config'] = networkData;
    return { label: 'cidata', files };
  }
  const uuid = spec.domain.firmware?.uuid ?? derivedUuid(namespace, vmiName);
  const meta = { uuid, instance_id: `${vmiName}.${namespace}`, hostname, name: vmiName };
  const files: Record<string, string> = {
    'openstack/latest/meta_data.json': JSON.stringify(meta),
    'openstack/latest/user_data': userData ?? '',
  };
  if (networkData !== undefined) files['openstack/latest/network_data.json'] = networkData;
  return { label: 'config-2', files };
}
