/**
 * Why the sweeper clears something, and the setting that says how long each reason's condition
 * must last first (its grace). Settings spell the reasons in camelCase (`sweeper.grace.noExecutors`
 * for `no-executors`): app settings on Linux allow letters, digits, `_` and `.` only, so a
 * reason's own spelling could not be set as SPARK_DISPATCH__sweeper__grace__<reason>.
 */
export const SWEEP_REASONS = [
  'image-pull-failed',
  'container-config-error',
  'unschedulable',
  'scheduling-gated',
  'stuck-creating',
  'pending-too-long',
  'deadline-exceeded',
  'no-executors',
  'hung-after-stop',
  'executors-refused',
  'executors-pending',
  'node-lost',
  'finished-retention',
  'orphaned-companion',
  'submission-stuck',
] as const;
export type SweepReason = (typeof SWEEP_REASONS)[number];

/** Every reason but finished-retention (which has its retention times) has a grace. */
export type GracedReason = Exclude<SweepReason, 'finished-retention'>;

type Camel<S extends string> = S extends `${infer Head}-${infer Tail}` ? `${Head}${Capitalize<Camel<Tail>>}` : S;
export type GraceKey = Camel<GracedReason>;

export const graceKey = <R extends GracedReason>(reason: R): Camel<R> =>
  reason.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()) as Camel<R>;

/**
 * The default grace of each reason, in seconds (`never`: the reason never clears anything unless
 * set). What each one measures is in classifyDriver.ts; why these values, in the README.
 */
export const DEFAULT_GRACE: Readonly<Record<GraceKey, number | 'never'>> = {
  imagePullFailed: 180,
  containerConfigError: 180,
  unschedulable: 900,
  schedulingGated: 'never',
  stuckCreating: 600,
  pendingTooLong: 900,
  deadlineExceeded: 60,
  noExecutors: 1800,
  hungAfterStop: 1800,
  executorsRefused: 600,
  executorsPending: 900,
  nodeLost: 600,
  orphanedCompanion: 300,
  submissionStuck: 900,
};

export const GRACE_KEYS = Object.keys(DEFAULT_GRACE) as GraceKey[];

/** A reason's grace in seconds, resolved from settings; undefined: never. */
export type Graces = Readonly<Record<GraceKey, number | null>>;
