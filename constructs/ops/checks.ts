/**
 * App-level check of operations: a snapshot, restore, clone or export of a VM this app
 * does not define is a warning (the VM may live elsewhere); a VM construct in another
 * namespace than the operation is an error, since the reference is namespace-local.
 */
import type { IConstruct } from 'constructs';
import { closest } from '../../api/validation/schema-check';
import { AppIssueSeverity, KubeVirtObject, type AppIssue, type IAppCheck } from '../core';
import { findByKind } from '../network/find';
import type { IVirtualMachineOperation } from './references';

const OPERATION_SYMBOL = Symbol.for('virtkit.ops.VirtualMachineOperation');

/** Mark a construct as an operation the check looks at. */
export function markOperation(op: IVirtualMachineOperation): void {
  Object.defineProperty(op, OPERATION_SYMBOL, { value: true });
}

function isOperation(x: unknown): x is IVirtualMachineOperation {
  return typeof x === 'object' && x !== null && OPERATION_SYMBOL in x;
}

function check(root: IConstruct): AppIssue[] {
  const issues: AppIssue[] = [];
  const vms = findByKind<KubeVirtObject>(root, 'VirtualMachine', 'kubevirt.io');
  for (const op of root.node.findAll().filter(isOperation)) {
    const ref = op.virtualMachine;
    if (ref === undefined) continue;
    if (ref.construct !== undefined) {
      const vmNamespace = ref.construct.namespace;
      if (vmNamespace !== op.namespace) {
        issues.push({
          construct: op,
          path: op.virtualMachinePath,
          severity: AppIssueSeverity.ERROR,
          message: `VirtualMachine ${ref.construct.node.path} is in namespace ${vmNamespace ?? '(none)'} but this object is in ${op.namespace ?? '(none)'}; the reference is namespace-local, so put both in the same namespace`,
        });
      }
      continue;
    }
    const match = vms.find((vm) => vm.name === ref.name && vm.namespace === op.namespace);
    if (!match) {
      const guess = closest(
        ref.name,
        vms.map((vm) => vm.name),
      );
      issues.push({
        construct: op,
        path: op.virtualMachinePath,
        severity: AppIssueSeverity.WARNING,
        message: `VirtualMachine "${ref.name}" is not defined in this app${op.namespace ? ` in namespace ${op.namespace}` : ''}${guess ? ` (did you mean "${guess}"?)` : ''}; make sure it exists in the cluster, or reference the construct with VirtualMachineReference.fromVirtualMachine(vm)`,
      });
    }
  }
  return issues;
}

/** The operations app check (registered once per app by the operation constructs). */
export const operationChecks: IAppCheck = { id: 'virtkit.ops.vm-reference', check };
