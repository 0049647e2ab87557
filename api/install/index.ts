/** Cluster mode's install: every object, rendered once for the CLI, the construct and the component. */
export { renderInstall, installObjectKey, type KubeObject, type RenderContext } from './render';
export {
  CertificateMode,
  IMAGE_PULL_POLICIES,
  INSTALL_OPTION_NAMES,
  InstallOptionsError,
  resolveInstallOptions,
  type ImagePullPolicy,
  type InstallOptions,
  type ResolvedInstallOptions,
} from './options';
export * from './names';
export { API_CERTIFICATE, apiServiceDnsNames, INJECT_CA_FROM } from './certificates';
export { VIRTKIT_VERSION } from './version';
