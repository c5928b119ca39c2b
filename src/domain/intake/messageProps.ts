/**
 * Application properties the dispatcher puts on job messages it schedules or forwards (deferrals,
 * outage retries, hand-overs from storage events). A team can set them too on its own queue; they
 * only ever name a job of that team (keys are scoped by tenant), and bad values are ignored.
 */
export const PROPS = {
  jobKey: 'sd-job-key',
  deferrals: 'sd-deferrals',
  firstSeen: 'sd-first-seen',
  retries: 'sd-retries',
  firstFailure: 'sd-first-failure',
  /** The message id of the message a copy stands for: the request's identity across copies. */
  messageId: 'sd-message-id',
} as const;
