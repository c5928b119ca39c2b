/**
 * A job's identity, in one place: the key it is known by (`<tenant>/<jobKey>`), the key a source
 * derives for it, the request's fingerprint, the hashes and ids derived from the key (Kubernetes
 * names, the short id, ledger blob names, message ids). Everything here is a pure function of the
 * key or the request, so that every attempt, redelivery and copy of a request lands on the same
 * names and the same record: what makes a launch idempotent. Never change a formula: existing
 * records, drivers and scheduled messages are found by them.
 */
import { createHash } from 'node:crypto';
import { sanitizeName, sparkAppNameLabel } from '../render/naming.js';

/** sha256 of a string (UTF-8), as 64 hex characters: the one digest behind names, content keys and ledger blob names. */
export const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/**
 * The key a job is known by everywhere (ledger, names, annotations, events): `<tenant>/<jobKey>`.
 * A job key a request carries is only ever the part after the tenant, so no request can name
 * another team's job.
 */
export const scopedKey = (tenant: string, jobKey: string): string => `${tenant}/${jobKey}`;

/** The tenant a scoped key belongs to (the part before the first `/`). */
export function tenantOfKey(key: string): string | undefined {
  const slash = key.indexOf('/');
  return slash > 0 ? key.slice(0, slash) : undefined;
}

/**
 * The ledger key of a request refused before it could take a job key (unreadable, against policy,
 * or asking for a key another request holds): its own, from the request's identity (a message id,
 * an event), so a refused request never occupies the key it asked for and a redelivery of it
 * lands on the same record.
 */
export const refusalKey = (tenant: string, requestRef: string): string => scopedKey(tenant, `refused:${requestRef}`);

/** The job key a script upload asks for: the file's version (URL and eTag, or copy id). */
export const uploadJobKey = (dedupeKey: string): string => `upload:${dedupeKey}`;
/** The job key a landing rule asks for: the rule and the file's version. */
export const ruleJobKey = (rule: string, dedupeKey: string): string => `rule:${rule}:${dedupeKey}`;
/** The ledger key of a storage event refused before any tenant could own it (malformed, or from an account no tenant has). */
export const eventRefusalKey = (eventRef: string): string => `event:${eventRef}`;

/**
 * What makes two requests "the same request": the tenant and the spec (after templates are filled
 * and inline scripts staged), without the job key. A redelivery, a deferred copy or a storage
 * event handed over to the queue has the same fingerprint; another spec under the same key does not.
 */
export function requestFingerprint(tenant: string, spec: Readonly<Record<string, unknown>>): string {
  const { jobKey: _key, ...rest } = spec;
  return contentHash({ tenant, spec: rest }).slice(0, 40);
}

/** sha256 of a canonical rendering (sorted keys), for keys derived from content. */
export function contentHash(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * A job's short id: 16 hex of sha256 of its (tenant-scoped) key, the same as the hash in its
 * driver's name and the start of its ledger record's name. Typeable, printed by every command that
 * starts a job, accepted by status and logs.
 */
export const jobId = (jobKey: string): string => sha256Hex(jobKey).slice(0, 16);
export const JOB_ID = /^[0-9a-f]{8,40}$/;

/** 32 hex of sha256(jobKey): a fixed-length, name-safe stand-in for a free-text job key (blob names, message ids). */
export const hashKey = (jobKey: string): string => sha256Hex(jobKey).slice(0, 32);

/** 40 hex of sha256(jobKey): the ledger's blob names. Existing records are found by it: never change the length or the digest. */
export const ledgerKeyHash = (jobKey: string): string => sha256Hex(jobKey).slice(0, 40);

/*
 * Message ids. Deterministic, so that a handler that dies after sending sends the same id again
 * and Service Bus duplicate detection drops the repeat.
 */
/** A job handed from a storage event to the job queue. */
export const handoverMessageId = (jobKey: string): string => hashKey(jobKey);
/** The scheduled copy of a job message deferred for the `deferrals`-th time (the cluster was full). */
export const deferralMessageId = (jobKey: string, deferrals: number): string => `${hashKey(jobKey)}~d${deferrals}`;
/** The scheduled copy of a job message after an outage (`attempt` of the retry budget; `deferrals` so far). */
export const retryMessageId = (jobKey: string, attempt: number, deferrals: number): string =>
  `${hashKey(jobKey)}~r${attempt}~d${deferrals}`;
/** A storage event whose copy was pending, scheduled to be looked at again (look `attempt`). */
export const recheckMessageId = (dedupeKey: string, attempt: number): string => `${hashKey(dedupeKey)}~c${attempt}`;
/** A lifecycle event on the topic: one of each kind per job; a job can be deferred many times, so those keep their time. */
export const lifecycleMessageId = (jobKey: string, type: string, at: string): string =>
  `${hashKey(jobKey)}:${type}${type === 'deferred' ? `:${at}` : ''}`;

export interface JobNames {
  /** 16 hex characters of sha256(jobKey): the label value and the suffix of every name. */
  readonly keyHash: string;
  /** `spark-` + 32 hex, as Spark's app ids look. */
  readonly appId: string;
  readonly prefix: string;
  readonly driverPod: string;
  readonly configMap: string;
  readonly service: string;
  readonly executorPrefix: string;
  /** Value of the spark-app-name label: Spark's own (sparkAppNameLabel), the one executors get too. */
  readonly appNameLabel: string;
}

/**
 * Spark caps spark.kubernetes.executor.podNamePrefix at 47 characters (KubernetesConf, 3.3+), so
 * the prefix is `<sanitized name ≤ 30>-<16 hex>`. Then `<prefix>-driver-svc` is at most 58 and,
 * starting with a letter, always a valid DNS-1035 Service name: no fallback name needed.
 */
export const MAX_NAME_PART = 30;

/**
 * Kubernetes names for a job, derived only from its name and job key, so that the same key always
 * yields the same names: a second attempt collides with the first on the driver pod's name
 * instead of starting a twin.
 */
export function jobNames(name: string, jobKey: string): JobNames {
  const digest = hashKey(jobKey);
  const keyHash = jobId(jobKey);
  const base = sanitizeName(name, MAX_NAME_PART);
  const prefix = `${base}-${keyHash}`;
  return {
    keyHash,
    appId: `spark-${digest}`,
    prefix,
    driverPod: `${prefix}-driver`,
    configMap: `spark-drv-${keyHash}-conf-map`,
    service: `${prefix}-driver-svc`,
    executorPrefix: prefix,
    appNameLabel: sparkAppNameLabel(name),
  };
}
