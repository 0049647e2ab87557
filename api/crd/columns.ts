/** Printer columns several kinds show, written once so `kubectl get` reads the same everywhere. */
import type { PrinterColumn } from '../kind';

/** The creation time column most kinds show last or first. */
export const AGE_COLUMN: PrinterColumn = {
  name: 'Age',
  type: 'date',
  jsonPath: '.metadata.creationTimestamp',
};

/** JSONPath of the status (True, False, Unknown) of the condition of a given type. */
export function conditionStatusPath(type: string): string {
  return `.status.conditions[?(@.type=='${type}')].status`;
}

/**
 * A column that shows a condition's status, such as Ready. `type` is the condition type
 * when it differs from the column name (`Live-Migratable` shows `LiveMigratable`).
 */
export function conditionColumn(
  name: string,
  options: { readonly type?: string; readonly priority?: number } = {},
): PrinterColumn {
  return {
    name,
    type: 'string',
    jsonPath: conditionStatusPath(options.type ?? name),
    ...(options.priority !== undefined ? { priority: options.priority } : {}),
  };
}
