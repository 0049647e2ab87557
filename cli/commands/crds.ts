import type { Command } from 'commander';
import { crdsYaml } from '../../api/crd/generate';

export function register(program: Command): void {
  program
    .command('crds')
    .description("print virtkit's CustomResourceDefinitions as multi-document YAML")
    .option(
      '--with-network-crds',
      'also print the NetworkAttachmentDefinition, Kube-OVN and whereabouts CRDs (for clusters without Multus, Kube-OVN or whereabouts)',
    )
    .action((opts: { withNetworkCrds?: boolean }) => {
      process.stdout.write(crdsYaml({ withNetworkCrds: !!opts.withNetworkCrds }));
    });
}
