// PLACEHOLDER: KubeVirt's admission rules for VMs and VMIs (owner: lead).
import type { Rule } from '../../../validation/rule';

export const vmiRules: readonly Rule[] = [];
export const vmRules: readonly Rule[] = [];
