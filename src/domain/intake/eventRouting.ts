/**
 * What a file event starts. Two conventions, both from the intake of the tenant that owns the filesystem:
 * - script uploads: `<prefix><folders…>/<job-name>/main.py` in a watched filesystem starts the job
 *   in that folder (its job.yaml and py-files are read when main.py's event arrives, so main.py
 *   is uploaded last);
 * - landing rules: a file whose path matches a rule's glob starts the rule's template, with
 *   `{placeholders}` describing the file. One event may match several rules, and start one job each.
 * Empty files only matter for script uploads (an empty main.py is a mistake); a landing rule may
 * watch empty markers such as Spark's `_SUCCESS` on purpose.
 */
import type { LandingRule, RulePlaceholder, TenantIntake } from '../../settings/settingsSchema.js';
import { matchesGlob } from './glob.js';
import { fillPlaceholders } from './placeholders.js';
import { isContentKnown, type FileEvent } from './storageEvent.js';

export type { FileEvent } from './storageEvent.js';

export type Route =
  | {
      kind: 'script-upload';
      jobName: string;
      /** Path of the job folder inside the filesystem, no trailing slash. */ folder: string;
      event: FileEvent;
    }
  | {
      kind: 'landing';
      rule: LandingRule;
      /** The built-in placeholder values plus the rule's own parameters filled with them (built-ins win). */
      parameters: Record<string, string>;
      event: FileEvent;
    }
  | { kind: 'ignored'; reason: string; event: FileEvent };

export const SCRIPT_FILE = 'main.py';
export const UPLOAD_MAIN_LAST = 'upload main.py last: its event starts the job; job.yaml and py-files beside it are read then';

type ScriptUpload = TenantIntake['scriptUploads'][number];

/** Routes by one tenant's intake: the caller has found the tenant from the event's filesystem. */
export function routeEvent(
  event: FileEvent,
  intake: Pick<TenantIntake, 'scriptUploads' | 'rules'>,
  allowedAccounts: readonly string[],
): Route[] {
  if (!allowedAccounts.includes(event.account)) {
    return [{ kind: 'ignored', reason: `account ${event.account} is not one of the tenant's accounts`, event }];
  }
  const routes: Route[] = [];
  const reasons: string[] = [];

  const upload = scriptUploadRoute(event, intake.scriptUploads);
  if (upload !== undefined) {
    if (upload.kind === 'ignored') reasons.push(upload.reason);
    else routes.push(upload);
  }

  for (const rule of intake.rules) {
    if (rule.filesystem !== event.filesystem) continue;
    if (rule.account !== undefined && rule.account !== event.account) continue;
    let matches: boolean;
    try {
      matches = matchesGlob(rule.path, event.path);
    } catch (err) {
      // Settings parsed by SettingsSchema never hold a glob that does not compile (it refuses them
      // at start-up); intake settings parsed on their own (IntakeSettingsSchema) may.
      reasons.push(`rule ${rule.name}: ${err instanceof Error ? err.message : String(err)}`);
      continue;
    }
    if (matches) routes.push({ kind: 'landing', rule, parameters: ruleParameters(event, rule), event });
  }

  if (routes.length > 0) return routes;
  if (reasons.length > 0) return [...new Set(reasons)].map((reason) => ({ kind: 'ignored', reason, event }));
  return [{ kind: 'ignored', reason: `no script-upload folder or landing rule watches ${event.filesystem}/${event.path}`, event }];
}

/**
 * The script-upload convention. When several entries watch the file (nested prefixes), the one
 * with the longest prefix decides: a main.py starts one job, not one per overlapping entry.
 * Prefixes come normalised from the settings schema (`jobs/`, or '' for the whole filesystem).
 */
function scriptUploadRoute(event: FileEvent, uploads: readonly ScriptUpload[]): Route | undefined {
  let best: { prefix: string } | undefined;
  for (const entry of uploads) {
    if (entry.account !== event.account || entry.filesystem !== event.filesystem) continue;
    const { prefix } = entry;
    if (!event.path.startsWith(prefix)) continue;
    if (best === undefined || prefix.length > best.prefix.length) best = { prefix };
  }
  if (best === undefined) return undefined;

  const { prefix } = best;
  const segments = event.path.slice(prefix.length).split('/');
  const file = segments[segments.length - 1]!;
  if (file !== SCRIPT_FILE) return { kind: 'ignored', reason: UPLOAD_MAIN_LAST, event };
  const where = `${event.filesystem}/${prefix}`;
  if (segments.length < 2) {
    return {
      kind: 'ignored',
      reason: `main.py directly in ${where} has no job folder: upload it as ${where}<job-name>/main.py (the folder's name is the job's name)`,
      event,
    };
  }
  // A copy's event may show the empty blob the copy starts with: its length is known once the copy is read.
  if (event.contentLength === 0 && isContentKnown(event)) {
    return { kind: 'ignored', reason: `empty file: ${event.filesystem}/${event.path} has 0 bytes; upload the script's content`, event };
  }
  const folder = event.path.slice(0, event.path.length - SCRIPT_FILE.length - 1);
  return { kind: 'script-upload', jobName: segments[segments.length - 2]!, folder, event };
}

/** The values of the `{placeholders}` a landing rule's template and parameters may use: exactly RULE_PLACEHOLDERS. */
export function placeholderValues(event: FileEvent, ruleName: string): Record<RulePlaceholder, string> {
  const slash = event.path.lastIndexOf('/');
  const folder = slash < 0 ? '' : event.path.slice(0, slash);
  const file = event.path.slice(slash + 1);
  const root = event.abfss.slice(0, event.abfss.length - event.path.length); // abfss://fs@host/
  const iso = new Date(event.eventTime).toISOString();
  return {
    url: event.abfss,
    path: event.path,
    folder,
    folderUrl: folder === '' ? root : `${root}${folder}/`,
    file,
    filesystem: event.filesystem,
    account: event.account,
    date: iso.slice(0, 10),
    time: iso.slice(11, 19),
    eventTime: event.eventTime,
    rule: ruleName,
  };
}

function ruleParameters(event: FileEvent, rule: LandingRule): Record<string, string> {
  const builtIns = placeholderValues(event, rule.name);
  const own = Object.fromEntries(
    Object.entries(rule.parameters).map(([name, template]) => {
      const filled = fillPlaceholders(template, builtIns).value;
      return [name, typeof filled === 'string' ? filled : template];
    }),
  );
  return { ...own, ...builtIns };
}
