/** VirtualMachineInstanceMigration: one live migration of a running VM, declared as an object. */
import type { Construct } from 'constructs';
import { VirtualMachineInstanceMigrationKind } from '../../api/kubevirt/v1/migration';
import { KubeVirtObject, type ObjectMetaProps } from '../core';
import { compact, nonEmptyMap } from '../core/compact';
import type { VirtualMachineReference } from './references';

/** Queue priority of a migration. */
export enum MigrationPriority {
  SYSTEM_CRITICAL = 'system-critical',
  USER_TRIGGERED = 'user-triggered',
  SYSTEM_MAINTENANCE = 'system-maintenance',
}

/** Props of a VirtualMachineInstanceMigration. */
export interface VirtualMachineInstanceMigrationProps extends ObjectMetaProps {
  /**
   * The VM whose instance to migrate (the VMI has the VM's name).
   * @example VirtualMachineReference.fromVirtualMachine(db)
   */
  readonly vm: VirtualMachineReference;
  /**
   * Extra node labels the target node must carry.
   * @default - none
   * @example { 'topology.kubernetes.io/zone': 'b' }
   */
  readonly addedNodeSelector?: { [key: string]: string };
  /**
   * Priority in the migration queue.
   * @default - user-triggered
   * @example MigrationPriority.SYSTEM_MAINTENANCE
   */
  readonly priority?: MigrationPriority;
}

/**
 * A VirtualMachineInstanceMigration.
 *
 * @example new VirtualMachineInstanceMigration(chart, 'move-db', { vm: VirtualMachineReference.fromVirtualMachine(db) })
 */
export class VirtualMachineInstanceMigration extends KubeVirtObject {
  private readonly props: VirtualMachineInstanceMigrationProps;

  public constructor(scope: Construct, id: string, props: VirtualMachineInstanceMigrationProps) {
    super(scope, id, VirtualMachineInstanceMigrationKind, props);
    this.props = props;
  }

  protected renderBody(): { [key: string]: unknown } {
    const p = this.props;
    return {
      spec: compact({
        vmiName: p.vm.name,
        addedNodeSelector: p.addedNodeSelector ? nonEmptyMap(p.addedNodeSelector) : undefined,
        priority: p.priority,
      }),
    };
  }
}
