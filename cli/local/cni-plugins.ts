/**
 * The CNI plugin folders of local mode's handler: the system's (Debian's containernetworking-
 * plugins in /usr/lib/cni, upstream's /opt/cni/bin, or $VIRTKIT_CNI_PLUGIN_DIRS), then virtkit's
 * build cache of the whereabouts IPAM plugin (scripts/build-whereabouts.sh), which is never
 * copied into a system folder.
 */
import { cacheDir } from '../../common/cache';
import { pluginDirsFrom } from '../../handler/network/cni/exec';

/** The github.com/k8snetworkplumbingwg/whereabouts release pinned in tools/whereabouts/go.mod (a unit test keeps them equal). */
export const WHEREABOUTS_VERSION = 'v0.9.2';

/** `${VIRTKIT_CACHE:-~/.cache/virtkit}/cni/whereabouts-<version>`: where the build script puts the plugin. */
export function whereaboutsPluginDir(): string {
  return cacheDir('cni', `whereabouts-${WHEREABOUTS_VERSION}`);
}

/** The folders the local handler searches for plugins, in order (pure but for the environment read). */
export function localCniPluginDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const dirs = pluginDirsFrom(undefined, env);
  const wb = whereaboutsPluginDir();
  return dirs.includes(wb) ? dirs : [...dirs, wb];
}
