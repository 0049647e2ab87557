/**
 * `virtkit:index:MultusNetwork`: a Multus NetworkAttachmentDefinition that VMs attach to by name.
 * It is noted as declared by this program once its name and namespace are known, so a
 * VirtualMachine naming it passes the network check at preview, before it exists.
 */
import * as pulumi from '@pulumi/pulumi';
import { multusV1 } from '../api';
import { ObjectComponent } from './core/object-component';
import { isPlain, type ObjectArgs } from './core/inputs';
import { declareNetwork } from './core/network-registry';

export interface MultusNetworkArgs extends ObjectArgs {
  /**
   * The CNI configuration: one plugin (`{ cniVersion, type, ... }`) or a plugin list
   * (`{ cniVersion, name, plugins: [...] }`), as an object (serialised to JSON) or a JSON string.
   */
  readonly config: pulumi.Input<string | Record<string, unknown>>;
}

/** NAD config as Multus reads it: a JSON string. */
export function cniConfigText(config: string | Record<string, unknown>): string {
  return typeof config === 'string' ? config : JSON.stringify(config);
}

export class MultusNetwork extends ObjectComponent<{ spec: multusV1.NetworkAttachmentDefinitionSpec }> {
  /** `<namespace>/<name>`, the form a VM's `networks[].multus.networkName` takes across namespaces. */
  readonly networkName: pulumi.Output<string>;

  constructor(name: string, args: MultusNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    // A plain config stays plain, so bad input still throws from the constructor.
    const spec = isPlain(args.config)
      ? { config: cniConfigText(args.config as string | Record<string, unknown>) }
      : pulumi.output(args.config).apply((c) => ({ config: cniConfigText(c) }));
    super(
      'MultusNetwork',
      name,
      {
        def: multusV1.NetworkAttachmentDefinitionKind,
        object: args,
        fields: { spec },
        // VMs of this program that name it are not refused for its absence from the cluster
        // (core/network-check.ts): this program creates it.
        beforeRegister: ({ metadata }) => {
          declareNetwork({ name: metadata.name, namespace: metadata.namespace });
          return [];
        },
      },
      opts,
    );
    this.networkName = pulumi
      .all([this.namespace, this.objectName])
      .apply(([ns, n]) => (ns ? `${ns}/${n}` : n));
    this.doneWith({ networkName: this.networkName });
  }
}
