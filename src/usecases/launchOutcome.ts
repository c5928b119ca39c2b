/**
 * What a launch attempt ends in. Every job request ends in one of these (or in a DispatchError
 * that says whether a retry can help): nothing is silently dropped.
 */
import type { Backend } from '../domain/spec/jobSpec.js';
import type { ObjectRef } from './clusterPort.js';

interface Located {
  readonly jobKey: string;
  readonly namespace: string;
  readonly driverPod: string;
  readonly backend: Backend;
}

export type LaunchOutcome =
  /** The driver was created by this attempt; `created` lists every object, in creation order. */
  | (Located & {
      readonly kind: 'launched';
      readonly created: readonly ObjectRef[];
      readonly dryRun: boolean;
      readonly driverUid?: string | undefined;
      /** The driver object (the Pod, or the SparkApplication) this attempt created. */
      readonly driver: ObjectRef;
    })
  /** The driver already existed for this job key; `created` lists what this attempt completed (a half-done launch). */
  | (Located & { readonly kind: 'already-launched'; readonly created: readonly ObjectRef[]; readonly driverUid?: string | undefined })
  /** The cluster is full (ResourceQuota): try again later. */
  | (Located & { readonly kind: 'deferred'; readonly reason: string })
  /** The job cannot run as asked: retrying will not help. */
  | {
      readonly kind: 'rejected';
      readonly jobKey?: string | undefined;
      readonly namespace?: string | undefined;
      readonly reasons: readonly string[];
    };

export type LaunchOutcomeKind = LaunchOutcome['kind'];
