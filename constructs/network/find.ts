/**
 * Find virtkit constructs of one kind in an app by their kind name, which works even when
 * two copies of virtkit are loaded (a template library package next to the app).
 */
import type { IConstruct } from 'constructs';
import { KubeVirtObject } from '../core';

/** Every virtkit construct of the app whose manifest kind is `kind` (and, if given, apiVersion group). */
export function findByKind<T extends KubeVirtObject>(root: IConstruct, kind: string, group?: string): T[] {
  return root.node
    .findAll()
    .filter(
      (c): c is T =>
        KubeVirtObject.isKubeVirtObject(c) &&
        c._kindDefinition.kind === kind &&
        (group === undefined || c._kindDefinition.group === group),
    );
}
