/**
 * The node's whereabouts files (I/O): the flat file and whereabouts' own kubeconfig, written
 * under the handler's state directory with mode 0600 (config.ts says why and what).
 */
import * as fs from 'fs';
import { writePrivateFile } from '../cni/private-file';
import {
  whereaboutsFiles,
  whereaboutsFlatFile,
  whereaboutsKubeconfig,
  type WhereaboutsFiles,
} from './config';

/**
 * Writes whereabouts' kubeconfig (a copy of the identity's `kubeconfig`, in whereabouts'
 * namespace) and its flat file under `stateDir`, replacing older ones; returns where they are.
 * Throws an Error naming the file when the kubeconfig cannot be read or used.
 */
export function writeWhereaboutsFiles(stateDir: string, kubeconfig: string): WhereaboutsFiles {
  const files = whereaboutsFiles(stateDir);
  let text: string;
  try {
    text = fs.readFileSync(kubeconfig, 'utf8');
  } catch (e) {
    throw new Error(
      `whereabouts kubeconfig ${kubeconfig}: cannot be read (${(e as Error).message}); give the kubeconfig of whereabouts' identity`,
    );
  }
  writePrivateFile(files.kubeconfig, whereaboutsKubeconfig(text, kubeconfig));
  writePrivateFile(files.flatFile, whereaboutsFlatFile(files));
  // The folder may predate this handler (made by another with a wider umask): only root reads it.
  fs.chmodSync(files.dir, 0o700);
  return files;
}
