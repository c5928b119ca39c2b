/** The Kubernetes API server stand-in: see standInServer.ts and the modules it composes. */
export { startStandIn } from './standInServer.js';
export type {
  ContainerState,
  ContainerStatus,
  FaultKind,
  FaultRule,
  FaultVerb,
  KubeStoredObject,
  PodCondition,
  PodStatusPatch,
  StandIn,
  StandInOptions,
  StandInStats,
  StoredMetadata,
  StoredOwnerReference,
} from './standInTypes.js';
export { parseLabelSelector, parseFieldSelector, matchesLabels, matchesFields, SelectorError } from './selectors.js';
export { isDns1035Label, isDns1123Label, isDns1123Subdomain, isQualifiedName, isValidLabelValue } from './nameRules.js';
export { startPodLifecycle, type InjectedFailure, type PodLifecycle, type PodLifecycleOptions } from './podLifecycle.js';
