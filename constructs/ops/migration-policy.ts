/** MigrationPolicy: live migration settings for the VMIs its selectors match (cluster-scoped). */
import type { Construct } from 'constructs';
import { migrationsV1alpha1 } from '../../api';
import { KubeVirtObject, type ObjectMetaProps } from '../core';
import { compact, nonEmptyMap } from '../core/compact';

/** Props of a MigrationPolicy. */
export interface MigrationPolicyProps extends ObjectMetaProps {
  /**
   * Labels the VMI must carry.
   * @default - any VMI
   * @example { workload: 'database' }
   */
  readonly vmiSelector?: { [key: string]: string };
  /**
   * Labels the VMI's namespace must carry.
   * @default - any namespace
   * @example { tier: 'prod' }
   */
  readonly namespaceSelector?: { [key: string]: string };
  /**
   * Let QEMU throttle the guest CPU so the migration converges.
   * @default - the cluster setting
   * @example true
   */
  readonly allowAutoConverge?: boolean;
  /**
   * Bandwidth cap per migration per second, a quantity; 0 is unlimited.
   * @default - the cluster setting
   * @example '128Mi'
   */
  readonly bandwidthPerMigration?: string;
  /**
   * Seconds allowed per GiB of guest memory before giving up or switching to post-copy.
   * @default - the cluster setting
   * @example 150
   */
  readonly completionTimeoutPerGiB?: number;
  /**
   * Switch to post-copy when the timeout is reached.
   * @default - the cluster setting
   * @example true
   */
  readonly allowPostCopy?: boolean;
  /**
   * Pause the guest or use post-copy rather than cancel a slow migration.
   * @default - the cluster setting
   * @example false
   */
  readonly allowWorkloadDisruption?: boolean;
}

/**
 * A MigrationPolicy.
 *
 * @example new MigrationPolicy(chart, 'databases', { name: 'databases', vmiSelector: { workload: 'database' }, allowPostCopy: true })
 */
export class MigrationPolicy extends KubeVirtObject {
  private readonly props: MigrationPolicyProps;

  public constructor(scope: Construct, id: string, props: MigrationPolicyProps = {}) {
    super(scope, id, migrationsV1alpha1.MigrationPolicyKind, props);
    this.props = props;
  }

  protected renderBody(): { [key: string]: unknown } {
    const p = this.props;
    return {
      spec: compact({
        selectors: compact({
          virtualMachineInstanceSelector: p.vmiSelector ? nonEmptyMap(p.vmiSelector) : undefined,
          namespaceSelector: p.namespaceSelector ? nonEmptyMap(p.namespaceSelector) : undefined,
        }),
        allowAutoConverge: p.allowAutoConverge,
        bandwidthPerMigration: p.bandwidthPerMigration,
        completionTimeoutPerGiB: p.completionTimeoutPerGiB,
        allowPostCopy: p.allowPostCopy,
        allowWorkloadDisruption: p.allowWorkloadDisruption,
      }),
    };
  }
}
