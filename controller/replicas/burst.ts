/** KubeVirt's default burstReplicas: the most creations or deletions one round of a replica controller makes. */
export const BURST_REPLICAS = 250;
