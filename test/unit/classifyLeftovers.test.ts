/**
 * The sweeper's judgement of what is not a driver pod: companions (ConfigMap, Service) left
 * without their driver, and operator-backend SparkApplications that have no driver pod to judge.
 */
import { describe, expect, it } from 'vitest';
import { classifyApplication, classifyCompanion } from '../../src/domain/sweep/classifyLeftovers.js';
import { ANNOTATIONS } from '../../src/domain/render/naming.js';
import {
  APPLICATION_OWNER,
  APPLICATION_UID,
  DRIVER_OWNER,
  DRIVER_POD,
  DRIVER_UID,
  GRACE,
  NOW,
  THRESHOLDS,
  ago,
  around,
  companion,
  sparkApplication,
} from '../support/podBuilders.js';

/** Distinct from every driver threshold. */
const ORPHAN_GRACE = 250;
const OTHER_POD_UID = 'c0c0c0c0-1111-4222-8333-444444444444';

describe('classifyCompanion', () => {
  // The driver pod still exists: its ConfigMap and Service stay, however old they are.
  it.each(['ConfigMap', 'Service'] as const)('a %s whose driver pod is alive is kept, even after ten days', (kind) => {
    const verdict = classifyCompanion(companion(kind, 10 * 86400, [DRIVER_OWNER]), new Set([OTHER_POD_UID, DRIVER_UID]), ORPHAN_GRACE, NOW);
    expect(verdict).toEqual({ action: 'keep', state: 'running' });
  });

  // Companions left by an Orphan delete of their driver: the garbage collector will not take them.
  it.each(around(ORPHAN_GRACE))('a ConfigMap whose driver pod is gone, created $age s ago: $outcome', ({ age, outcome }) => {
    const verdict = classifyCompanion(companion('ConfigMap', age, [DRIVER_OWNER]), new Set([OTHER_POD_UID]), ORPHAN_GRACE, NOW);
    expect(verdict).toEqual(
      outcome === 'keep'
        ? { action: 'keep', state: 'pending' }
        : {
            action: 'delete',
            reason: 'orphaned-companion',
            message: `its driver pod ${DRIVER_POD} is gone`,
            evidence: { since: ago(age), ageSeconds: age, thresholdSeconds: ORPHAN_GRACE },
          },
    );
  });

  // A launch that died between creating the ConfigMap and creating the driver pod: the ConfigMap
  // never got its ownerReference. Within the grace, the launch may still be in progress.
  it.each(around(ORPHAN_GRACE))('a Service without ownerReferences, created $age s ago: $outcome', ({ age, outcome }) => {
    const verdict = classifyCompanion(companion('Service', age, []), new Set([DRIVER_UID]), ORPHAN_GRACE, NOW);
    expect(verdict).toMatchObject(
      outcome === 'keep'
        ? { action: 'keep', state: 'pending' }
        : {
            action: 'delete',
            reason: 'orphaned-companion',
            message: 'it has no driver pod (a launch that died half-way)',
            evidence: { since: ago(age), thresholdSeconds: ORPHAN_GRACE },
          },
    );
  });

  // A companion's driver is a Pod, or with the operator backend the SparkApplication that owns the
  // job key's claim: a live one keeps it, a gone one leaves it orphaned. Any other kind never keeps it.
  it("owned by a live SparkApplication (the operator backend's key claim): kept", () => {
    const verdict = classifyCompanion(
      companion('ConfigMap', ORPHAN_GRACE + 1, [APPLICATION_OWNER]),
      new Set([APPLICATION_UID]),
      ORPHAN_GRACE,
      NOW,
    );
    expect(verdict).toMatchObject({ action: 'keep', state: 'running' });
  });

  it.each([
    {
      owners: 'only a SparkApplication that is gone',
      list: [APPLICATION_OWNER],
      live: [DRIVER_UID],
      message: `its driver SparkApplication ${APPLICATION_OWNER.name} is gone`,
    },
    {
      owners: 'a gone SparkApplication first, then the gone driver pod',
      list: [APPLICATION_OWNER, DRIVER_OWNER],
      live: [],
      message: `its driver SparkApplication ${APPLICATION_OWNER.name} is gone`,
    },
    {
      owners: 'a Deployment whose uid is in the live set',
      list: [{ ...APPLICATION_OWNER, kind: 'Deployment' }],
      live: [APPLICATION_UID],
      message: 'it has no driver pod (a launch that died half-way)',
    },
  ])('owned by $owners, past the grace: deleted', ({ list, live, message }) => {
    const verdict = classifyCompanion(companion('ConfigMap', ORPHAN_GRACE + 1, list), new Set(live), ORPHAN_GRACE, NOW);
    expect(verdict).toMatchObject({ action: 'delete', reason: 'orphaned-companion', message });
  });
});

describe('classifyApplication', () => {
  const classify = (app: Parameters<typeof classifyApplication>[0]) => classifyApplication(app, THRESHOLDS, NOW);

  // The operator finished with the application and has no driver pod left (deleted, or never
  // created): the application is kept for the retention of its outcome, counted from terminationTime
  // (the submission was 1500 s earlier, the creation 1510 s).
  it.each([
    ...around(THRESHOLDS.succeededRetentionSeconds).map((row) => ({
      state: 'COMPLETED',
      phase: 'Succeeded',
      errorMessage: undefined,
      reason: undefined,
      retention: 3600,
      ...row,
    })),
    ...around(THRESHOLDS.failedRetentionSeconds).map((row) => ({
      state: 'FAILED',
      phase: 'Failed',
      errorMessage: 'driver container failed with ExitCode: 1, Reason: Error',
      reason: 'driver container failed with ExitCode: 1, Reason: Error',
      retention: 86400,
      ...row,
    })),
    ...around(THRESHOLDS.failedRetentionSeconds).map((row) => ({
      state: 'SUBMISSION_FAILED',
      phase: 'Failed',
      errorMessage:
        'failed to run spark-submit: Exception in thread "main" java.io.FileNotFoundException: abfss://jobs@demo.dfs.core.windows.net/wordcount/main.py',
      reason:
        'failed to run spark-submit: Exception in thread "main" java.io.FileNotFoundException: abfss://jobs@demo.dfs.core.windows.net/wordcount/main.py',
      retention: 86400,
      ...row,
    })),
    ...around(THRESHOLDS.failedRetentionSeconds).map((row) => ({
      state: 'SUBMISSION_FAILED',
      phase: 'Failed',
      errorMessage: undefined,
      reason: 'SubmissionFailed',
      retention: 86400,
      ...row,
    })),
  ])('$state (error $errorMessage), terminated $age s ago: $outcome', ({ state, phase, errorMessage, reason, retention, age, outcome }) => {
    const app = sparkApplication({
      state,
      createdAgo: age + 1510,
      submittedAgo: age + 1500,
      terminatedAgo: age,
      ...(errorMessage ? { errorMessage } : {}),
    });
    const final = { phase, ...(reason ? { reason } : {}), finishedAt: ago(age) };
    expect(classify(app)).toEqual(
      outcome === 'keep'
        ? { action: 'keep', state: 'finished', final }
        : {
            action: 'delete',
            reason: 'finished-retention',
            message: `${state} ${age} s ago, past the ${retention} s retention`,
            evidence: {
              phase: state,
              since: ago(age),
              ageSeconds: age,
              thresholdSeconds: retention,
              ...(errorMessage ? { conditions: [`errorMessage: ${errorMessage}`] } : {}),
            },
            final,
          },
    );
  });

  // A submission that failed before the operator wrote terminationTime: the retention runs from the
  // last submission attempt, else from the application's creation.
  it.each(
    [
      {
        clock: 'lastSubmissionAttemptTime',
        build: (age: number) => sparkApplication({ state: 'SUBMISSION_FAILED', createdAgo: age + 10, submittedAgo: age }),
      },
      { clock: 'creationTimestamp', build: (age: number) => sparkApplication({ state: 'SUBMISSION_FAILED', createdAgo: age }) },
    ].flatMap((c) => around(THRESHOLDS.failedRetentionSeconds).map((row) => ({ ...c, ...row }))),
  )('SUBMISSION_FAILED without terminationTime, $clock $age s ago: $outcome', ({ build, age, outcome }) => {
    expect(classify(build(age))).toMatchObject(
      outcome === 'keep'
        ? { action: 'keep', state: 'finished', final: { phase: 'Failed', finishedAt: ago(age) } }
        : { action: 'delete', reason: 'finished-retention', evidence: { since: ago(age), thresholdSeconds: 86400 } },
    );
  });

  // The operator accepted the application but never started a driver: it is down, its webhook or
  // its queue is stuck, or a rerun never came. The operator has no timeout of its own for this.
  it.each(['NEW', 'SUBMITTED', 'PENDING_RERUN'].flatMap((state) => around(GRACE.submissionStuck).map((row) => ({ state, ...row }))))(
    '$state, last submitted $age s ago: $outcome',
    ({ state, age, outcome }) => {
      const app = sparkApplication({ state, createdAgo: age + 600, submittedAgo: age });
      expect(classify(app)).toEqual(
        outcome === 'keep'
          ? { action: 'keep', state: 'pending' }
          : {
              action: 'delete',
              reason: 'submission-stuck',
              message: `the operator has not started a driver (state ${state})`,
              evidence: { phase: state, since: ago(age), ageSeconds: age, thresholdSeconds: 920 },
            },
      );
    },
  );

  // The operator never looked at the application: no status at all, or an empty state (the
  // operator's "new"). The clock is the creation; reported as NEW.
  it.each(
    [
      { status: 'no status', state: undefined },
      { status: "state ''", state: '' },
    ].flatMap((c) => around(GRACE.submissionStuck).map((row) => ({ ...c, ...row }))),
  )('$status, created $age s ago: $outcome', ({ state, age, outcome }) => {
    const app = sparkApplication({ createdAgo: age, ...(state !== undefined ? { state } : {}) });
    expect(classify(app)).toEqual(
      outcome === 'keep'
        ? { action: 'keep', state: 'pending' }
        : {
            action: 'delete',
            reason: 'submission-stuck',
            message: 'the operator has not started a driver (state NEW)',
            evidence: { phase: 'NEW', since: ago(age), ageSeconds: age, thresholdSeconds: 920 },
          },
    );
  });

  // A RUNNING application whose driver pod is gone from view: the annotated deadline (7200 s here)
  // plus the grace, from the last submission (the creation was 20 s earlier).
  it.each(around(7200 + 60))('RUNNING with a 7200 s deadline, submitted $age s ago: $outcome', ({ age, outcome }) => {
    const app = sparkApplication({
      state: 'RUNNING',
      createdAgo: age + 20,
      submittedAgo: age,
      annotations: { [ANNOTATIONS.deadlineSeconds]: '7200' },
    });
    expect(classify(app)).toEqual(
      outcome === 'keep'
        ? { action: 'keep', state: 'running' }
        : {
            action: 'delete',
            reason: 'deadline-exceeded',
            message: `running for ${age} s, past the job's deadline of 7200 s`,
            evidence: { phase: 'RUNNING', since: ago(age), ageSeconds: age, thresholdSeconds: 7260 },
          },
    );
  });

  it('RUNNING without a deadline annotation is kept, even after ten days', () => {
    const app = sparkApplication({
      state: 'RUNNING',
      createdAgo: 10 * 86400 + 20,
      submittedAgo: 10 * 86400,
      annotations: { [ANNOTATIONS.deadlineSeconds]: undefined },
    });
    expect(classify(app)).toEqual({ action: 'keep', state: 'running' });
  });

  // A delete is already under way (finalizers, or the garbage collector): nothing to judge.
  it.each([
    { state: 'COMPLETED', extra: { terminatedAgo: 200000 } },
    { state: 'SUBMITTED', extra: {} },
    { state: 'RUNNING', extra: {} },
  ])('$state, long past every threshold, being deleted: terminating', ({ state, extra }) => {
    const app = sparkApplication({ state, createdAgo: 200020, submittedAgo: 200010, ...extra, deleting: true });
    expect(classify(app)).toEqual({ action: 'keep', state: 'terminating' });
  });

  // The operator's transitional states, while it still has a driver pod to report on.
  it.each(['SUCCEEDING', 'FAILING', 'INVALIDATING'])('%s, long past every threshold: unknown', (state) => {
    expect(classify(sparkApplication({ state, createdAgo: 200020, submittedAgo: 200010 }))).toEqual({ action: 'keep', state: 'unknown' });
  });
});
