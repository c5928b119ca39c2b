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
  /**
   * On a storage event handed to the queue to be looked at again (its body is the event): why.
   * `copy-pending`: a CopyBlob event whose copy had not completed.
   */
  storageEvent: 'sd-storage-event',
  /** How many times that storage event has been looked at again. */
  rechecks: 'sd-rechecks',
} as const;

/** The value of PROPS.storageEvent on a CopyBlob event waiting for its copy to complete. */
export const COPY_PENDING = 'copy-pending';
