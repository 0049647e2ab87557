/**
 * The whole CNI configuration string of a NetworkAttachmentDefinition: one plugin as a
 * single configuration, or a plugin followed by chained plugins as a configuration list.
 */
import type { CniRenderContext } from './ipam';
import type { CniPlugin } from './plugin';

/** The CNI spec version written when none is given; every plugin the library renders accepts it. */
export const DEFAULT_CNI_VERSION = '0.3.1';

/** Render the CNI JSON for `plugins` (the first is the main plugin, the rest are chained). */
export function renderCniConfig(
  ctx: CniRenderContext,
  plugins: readonly CniPlugin[],
  cniVersion: string = DEFAULT_CNI_VERSION,
): string {
  if (plugins.length === 0) {
    throw new Error(
      `NetworkAttachmentDefinition ${ctx.namespace}/${ctx.name} has no CNI plugin; pass plugin: CniPlugin.bridge({...}) or another factory`,
    );
  }
  const rendered = plugins.map((p) => p.render(ctx));
  const config =
    rendered.length === 1
      ? { cniVersion, name: ctx.name, ...rendered[0] }
      : { cniVersion, name: ctx.name, plugins: rendered };
  return JSON.stringify(config);
}
