/**
 * `atomicfs/etcd`: locks, transaction owners' liveness and commit decisions kept in etcd,
 * for hosts or containers that share one folder. A separate entry so that only its users
 * load the etcd client (an optional peer dependency: `npm install etcd3`).
 */
export { etcdCoordinator, type EtcdCoordinator, type EtcdCoordinatorOptions } from './etcd-coordinator.js';
export type { Coordinator, Decision, ClaimResult } from '../lock/coordinator.js';
