/**
 * virtkit's Kubernetes client layer (the role of client-go and controller-runtime): one client
 * for every authentication method, kubeconfig resolution as kubectl does it, watches with the
 * reflector's rules, informers, the keyed work queue, leader election, Events and conditions,
 * and the cluster's feature gates (a list of names it reads from the KubeVirt object). It knows
 * nothing of virtual machines.
 */
export * from './client';
export * from './config';
export * from './discovery';
export * from './errors';
export * from './resources';
export * from './keys';
export * from './backoff';
export * from './indexed-cache';
export * from './watcher';
export * from './informer';
export * from './workqueue';
export * from './leader-election';
export * from './events';
export * from './conditions';
export * from './feature-gates';
export * from './stream';
export * from './list-or-none';
export * from './served';
export * from './finalizers';
export * from './unless-gone';
