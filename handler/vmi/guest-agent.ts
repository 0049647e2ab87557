/**
 * Pure: what the guest agent adds to the VMI status the handler applies. While the launcher
 * reports a connected agent the VMI gets `status.guestOSInfo` (KubeVirt's field names) and the
 * condition `AgentConnected=True`; when the agent goes away the condition goes, and the last
 * known guestOSInfo stays (as KubeVirt keeps it) until the VMI is gone.
 */
import type { GuestInfo } from '../../launcher/qga/protocol';
import { stamp } from './vmi-status';
import { removeCondition, setCondition, type ConditionLike } from '../../kube';

export const AGENT_CONNECTED = 'AgentConnected';

/** `status.guestOSInfo` of a VMI. */
export interface GuestOsInfoStatus {
  id?: string;
  kernelRelease?: string;
  kernelVersion?: string;
  machine?: string;
  name?: string;
  prettyName?: string;
  version?: string;
  versionId?: string;
}

const OS_INFO_FIELDS = [
  'id',
  'kernelRelease',
  'kernelVersion',
  'machine',
  'name',
  'prettyName',
  'version',
  'versionId',
] as const;

/** Keeps the members the VMI schema has (the launcher also reports variant, variantId). */
export function toGuestOsInfoStatus(info: Readonly<Record<string, unknown>> | undefined): GuestOsInfoStatus {
  const out: GuestOsInfoStatus = {};
  for (const k of OS_INFO_FIELDS) {
    const v = info?.[k];
    if (typeof v === 'string' && v !== '') out[k] = v;
  }
  return out;
}

/**
 * Adds the agent's part to a status about to be applied. `current` is the VMI's status as read,
 * `agent` what GET /v1/guest-info answered, or undefined when the launcher reports no agent.
 */
export function withGuestAgent<S extends { conditions: ConditionLike[] }>(
  current: object,
  next: S,
  agent: GuestInfo | undefined,
  now: Date,
): S & { guestOSInfo?: GuestOsInfoStatus } {
  if (agent?.connected) {
    return {
      ...next,
      conditions: setCondition(next.conditions, {
        type: AGENT_CONNECTED,
        status: 'True',
        lastProbeTime: null,
        lastTransitionTime: stamp(now),
      }),
      guestOSInfo: toGuestOsInfoStatus(agent.osInfo as Readonly<Record<string, unknown>> | undefined),
    };
  }
  const last = (current as { guestOSInfo?: unknown }).guestOSInfo;
  const kept =
    last && typeof last === 'object' ? toGuestOsInfoStatus(last as Record<string, unknown>) : undefined;
  return {
    ...next,
    conditions: removeCondition(next.conditions, AGENT_CONNECTED),
    ...(kept && Object.keys(kept).length > 0 ? { guestOSInfo: kept } : {}),
  };
}
