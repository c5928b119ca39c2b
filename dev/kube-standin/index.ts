/** The Kubernetes API server stand-in: see standInServer.ts and the modules it composes. */
export { startStandIn } from './standInServer.js';
export type { FaultRule, PodEvent, PodStatusPatch, StandIn, StandInOptions } from './standInTypes.js';
export { startPodLifecycle, type InjectedFailure } from './podLifecycle.js';
export { SparkDriverSimulation, type Behaviour, type DriverContext } from './sparkDrivers.js';
