/**
 * `GET /apis/subresources.kubevirt.io/v1/version`: KubeVirt's version info shape (what
 * `virtctl version` prints as the server version), filled with virtkit's own: the package
 * version as gitVersion, the checkout's commit when there is one, node's version and platform.
 */
import { gitCommit, packageVersion } from '../../common/version';

export interface VersionInfo {
  readonly gitVersion: string;
  readonly gitCommit: string;
  readonly gitTreeState: string;
  readonly buildDate: string;
  readonly goVersion: string;
  readonly compiler: string;
  readonly platform: string;
}

/** Go's names for node's architectures, so `platform` reads like KubeVirt's (linux/amd64). */
const GOARCH: Readonly<Record<string, string>> = { x64: 'amd64', ia32: '386', arm: 'arm', arm64: 'arm64' };

export function versionInfo(
  env: { version?: string; commit?: string; node?: string; platform?: string; arch?: string } = {},
): VersionInfo {
  const version = env.version ?? packageVersion();
  const arch = env.arch ?? process.arch;
  return {
    gitVersion: version === 'unknown' ? version : `v${version}`,
    gitCommit: env.commit ?? gitCommit(),
    gitTreeState: '',
    buildDate: '',
    // KubeVirt reports the Go toolchain here; virtkit runs on node.
    goVersion: env.node ?? `node${process.versions.node}`,
    compiler: 'node',
    platform: `${env.platform ?? process.platform}/${GOARCH[arch] ?? arch}`,
  };
}
