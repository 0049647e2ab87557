/**
 * Typed errors of Multus's part in the handler: a pod's network selection annotations that
 * cannot be read, and a NetworkAttachmentDefinition that does not exist. Both are CniErrors, so
 * PodNetworkError carries their `reason` to the pod's FailedCreatePodSandBox Event.
 */
import { CniError } from '../cni/errors';

/** One problem of a selection annotation: which element (or the whole text), what, and the fix. */
export interface SelectionProblem {
  /** `[2].interface`, `"ns/name@if"` (an element of the short form), or `` for the whole text. */
  readonly at: string;
  readonly message: string;
  readonly fix: string;
}

/** The pod's k8s.v1.cni.cncf.io/networks or v1.multus-cni.io/default-network cannot be used. */
export class NetworkSelectionError extends CniError {
  readonly reason = 'InvalidNetworkSelection' as const;
  constructor(
    readonly annotation: string,
    readonly problems: readonly SelectionProblem[],
  ) {
    super(
      `annotation ${annotation}: ` +
        problems.map((p) => `${p.at ? `${p.at}: ` : ''}${p.message}; ${p.fix}`).join('; '),
    );
    this.name = 'NetworkSelectionError';
  }
}

/** The NetworkAttachmentDefinition a pod selects does not exist. */
export class NetworkAttachmentDefinitionNotFoundError extends CniError {
  readonly reason = 'NetworkAttachmentDefinitionNotFound' as const;
  constructor(
    readonly namespace: string,
    readonly nadName: string,
  ) {
    super(
      `network-attachment-definitions.k8s.cni.cncf.io ${JSON.stringify(nadName)} not found in namespace ` +
        `${JSON.stringify(namespace)}: create it or fix the VMI's spec.networks[].multus.networkName`,
    );
    this.name = 'NetworkAttachmentDefinitionNotFoundError';
  }
}
