/**
 * What the handler knows that KubeVirt's LiveMigratable check needs
 * (api/kubevirt/v1/live-migratable.ts): the access modes of the claims behind the VMI's
 * `persistentVolumeClaim` and `dataVolume` volumes (only ReadWriteMany ones are shared between
 * nodes), and the CPU model a `host-model` guest gets on this node. Claims are read once per
 * VMI every CLAIMS_TTL_MS, not on every status write.
 */
import type { LiveMigratableFacts, ClaimFacts } from '../../api/kubevirt/v1/live-migratable';
import { isNotFound, PVCS, type KubeClient } from '../../kube';

const CLAIMS_TTL_MS = 30_000;

interface ClaimJson {
  spec?: { accessModes?: string[]; volumeMode?: string };
  status?: { accessModes?: string[] };
}

interface VolumeJson {
  name?: string;
  persistentVolumeClaim?: { claimName?: string };
  dataVolume?: { name?: string };
}

export class MigratableFacts {
  private readonly cache = new Map<string, { at: number; claims: Record<string, ClaimFacts | undefined> }>();

  constructor(private readonly client: KubeClient) {}

  /**
   * The facts for a VMI on this node; `accelerator` is what its launcher runs with (a host-model
   * guest is QEMU's `host` CPU under KVM and `max` under TCG: the local nodes share one machine,
   * so the target reproduces it).
   */
  async of(
    vmi: { metadata?: { namespace?: string; uid?: string }; spec?: { volumes?: unknown[] } },
    accelerator: 'kvm' | 'tcg',
    now = Date.now(),
  ): Promise<LiveMigratableFacts> {
    const uid = vmi.metadata?.uid ?? '';
    let hit = this.cache.get(uid);
    if (!hit || now - hit.at > CLAIMS_TTL_MS) {
      hit = { at: now, claims: await this.claims(vmi.metadata?.namespace ?? '', vmi.spec?.volumes ?? []) };
      this.cache.set(uid, hit);
    }
    return { claims: hit.claims, hostCpuModel: accelerator === 'kvm' ? 'host' : 'max' };
  }

  /** The VMI with this uid is gone from this node. */
  forget(uid: string): void {
    this.cache.delete(uid);
  }

  private async claims(
    namespace: string,
    volumes: readonly unknown[],
  ): Promise<Record<string, ClaimFacts | undefined>> {
    const out: Record<string, ClaimFacts | undefined> = {};
    for (const v of volumes as VolumeJson[]) {
      const claimName = v.persistentVolumeClaim?.claimName ?? v.dataVolume?.name;
      if (!v.name || !claimName) continue;
      try {
        const c = await this.client.get<ClaimJson>(PVCS, namespace, claimName);
        out[v.name] = {
          claimName,
          accessModes: c.status?.accessModes ?? c.spec?.accessModes ?? [],
          volumeMode: c.spec?.volumeMode ?? 'Filesystem',
        };
      } catch (e) {
        // A claim that is not there cannot be shown to be shared: the check says so.
        if (!isNotFound(e)) throw e;
        out[v.name] = undefined;
      }
    }
    return out;
  }
}
