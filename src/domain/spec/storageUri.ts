/**
 * Script locations a driver can load. Spark's own spark-submit, running inside the driver pod,
 * downloads the main script and `spark.submit.pyFiles` through Hadoop's FileSystem, so a location
 * must be one Hadoop ABFS resolves (`abfss://`) or a file already in the image (`local://`).
 */
import { FILESYSTEM_NAME as FILESYSTEM, STORAGE_ACCOUNT_NAME as ACCOUNT, STORAGE_CLOUDS } from './azureNames.js';
import { textFault } from './text.js';

export type ScriptUri =
  | { readonly scheme: 'abfss'; readonly filesystem: string; readonly account: string; readonly host: string; readonly path: string }
  | { readonly scheme: 'local'; readonly path: string };

export type ScriptRole = 'main' | 'pyFile';

export interface UriRefusal {
  readonly expected: string;
  readonly hint?: string;
}

/** DFS endpoints of the public and sovereign clouds. */
const DFS_SUFFIXES: readonly string[] = STORAGE_CLOUDS.map((cloud) => `dfs.${cloud}`);

export const MAX_URI_LENGTH = 1024;
const EXTENSIONS: Record<ScriptRole, readonly string[]> = { main: ['.py'], pyFile: ['.py', '.zip', '.egg'] };

// Path segments: letters and digits of any script plus the punctuation data lakes use
// (`date=2024-01-01`, `v1.2`, `a+b`). No `%`, `:`, `?`, `#` or spaces: Hadoop's Path parses them
// as URI syntax and the driver would look for a different file than the one named.
const SEGMENT = /^[\p{L}\p{N}._\-~=+@,]{1,255}$/u;

export function expectedUri(role: ScriptRole): string {
  const ext = EXTENSIONS[role].join(', ');
  return `abfss://<filesystem>@<account>.dfs.core.windows.net/<path> or local:///<path> ending in ${ext}`;
}

export function parseScriptUri(value: string, role: ScriptRole): ScriptUri | UriRefusal {
  const expected = expectedUri(role);
  if (value.length > MAX_URI_LENGTH) return { expected: `${expected}, at most ${MAX_URI_LENGTH} characters` };
  if (textFault(value)) return { expected: `${expected}, without control or invisible characters` };

  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(value)?.[1]?.toLowerCase();
  if (scheme === undefined) return { expected, hint: 'a bare path is ambiguous; give the full abfss:// URI' };
  if (scheme !== 'abfss' && scheme !== 'local') return { expected, hint: schemeAdvice(scheme, value) };

  let parsed: { host: string; user: string; path: string };
  if (scheme === 'local') {
    // local:///opt/app/job.py has an empty authority; local://opt/app/job.py would make `opt` a host.
    if (!value.startsWith('local:///')) return { expected, hint: 'local:// needs an absolute path: local:///opt/spark/work/job.py' };
    parsed = { host: '', user: '', path: value.slice('local://'.length) };
  } else {
    const match = /^abfss:\/\/([^@/]*)@([^/]*)(\/.*)?$/i.exec(value);
    if (!match)
      return { expected, hint: 'abfss URIs name the filesystem before the @: abfss://<filesystem>@<account>.dfs.core.windows.net/<path>' };
    parsed = { user: match[1]!, host: match[2]!.toLowerCase(), path: match[3] ?? '' };
  }

  const pathProblem = checkPath(parsed.path, role);
  if (pathProblem) return { expected, hint: pathProblem };
  if (scheme === 'local') return { scheme: 'local', path: parsed.path };

  const suffix = DFS_SUFFIXES.find((s) => parsed.host.endsWith(`.${s}`));
  if (!suffix) {
    const blobHost = /^([a-z0-9]+)\.blob\.(core\.[a-z.]+)$/.exec(parsed.host);
    const hint = blobHost
      ? `ABFS talks to the dfs endpoint: abfss://${parsed.user}@${blobHost[1]}.dfs.${blobHost[2]}${parsed.path}`
      : `the host must be <account>.${DFS_SUFFIXES[0]}`;
    return { expected, hint };
  }
  const account = parsed.host.slice(0, -(suffix.length + 1));
  if (!ACCOUNT.test(account)) return { expected, hint: `storage account names are 3-24 lower-case letters and digits, found "${account}"` };
  if (!FILESYSTEM.test(parsed.user)) {
    return { expected, hint: `filesystem names are 3-63 lower-case letters, digits and single hyphens, found "${parsed.user}"` };
  }
  return { scheme: 'abfss', filesystem: parsed.user, account, host: parsed.host, path: parsed.path };
}

export function isUriRefusal(value: ScriptUri | UriRefusal): value is UriRefusal {
  return 'expected' in value;
}

function checkPath(path: string, role: ScriptRole): string | undefined {
  if (path === '' || path === '/') return 'a path to a file after the host';
  const segments = path.slice(1).split('/');
  for (const segment of segments) {
    if (segment === '') return 'no empty path segments (// or a trailing /)';
    if (segment === '.' || segment === '..') return 'no "." or ".." path segments';
    if (!SEGMENT.test(segment)) {
      return `path segments of letters, digits and . _ - ~ = + @ , only (no spaces, %, :, ?, #, \\), found "${segment.slice(0, 40)}"`;
    }
  }
  return extensionProblem(path, role);
}

/**
 * What Spark accepts, with Spark's case rules (SparkSubmit.isPython and PythonRunner.resolvePyFiles
 * compare with `endsWith(".py")`; pyspark's context.py compares `filename[-4:].lower()` with
 * .zip/.egg/.jar). A main script must end in `.py` exactly: otherwise the driver's spark-submit
 * takes it for a JAR (isPython is false) and the driver dies. A py-file ending in `.PY` would be
 * put on the PYTHONPATH as a file, which Python cannot import from, and executors import modules
 * by their exact name; `.ZIP` and `.EGG` work, as pyspark lower-cases them.
 */
function extensionProblem(path: string, role: ScriptRole): string | undefined {
  const name = path.slice(path.lastIndexOf('/') + 1);
  if (name.endsWith('.py')) return undefined;
  const lower = name.toLowerCase();
  if (lower.endsWith('.py')) {
    const fixed = `${name.slice(0, -3)}.py`;
    return role === 'main'
      ? `a file ending in .py, in lower case: Spark's spark-submit tells a Python script by a case-sensitive ".py" (SparkSubmit.isPython) and would start "${name}" as a JAR; rename it to ${fixed}`
      : `a py-file ending in .py, in lower case: Spark puts a py-file on the PYTHONPATH as a module only for a case-sensitive ".py" (PythonRunner), and Python imports modules by their exact name; rename it to ${fixed}`;
  }
  if (role === 'pyFile' && (lower.endsWith('.zip') || lower.endsWith('.egg'))) return undefined;
  return `a file ending in ${EXTENSIONS[role].join(', ')}`;
}

function schemeAdvice(scheme: string, value: string): string {
  switch (scheme) {
    case 'wasb':
    case 'wasbs':
      return `${scheme}:// is Hadoop's retired Blob (WASB) driver; use abfss://<container>@<account>.dfs.core.windows.net/<path>`;
    case 'abfs':
      return 'abfs:// sends data unencrypted; use abfss://';
    case 'https':
    case 'http': {
      // The query string is dropped: it is where SAS tokens live, and it must never be echoed back.
      const m = /^https?:\/\/([a-z0-9]+)\.(?:blob|dfs)\.(core\.[a-z.]+)\/([^/?#]+)(\/[^?#]*)?/i.exec(value);
      if (m) {
        const sas = value.includes('?') ? '; drop the query string: the driver authenticates with workload identity, not SAS' : '';
        return `write the storage URL as abfss://${m[3]}@${m[1]!.toLowerCase()}.dfs.${m[2]}${m[4] ?? '/'}${sas}`;
      }
      return 'the driver cannot download scripts over HTTP; upload the script to ADLS Gen2 and use abfss://';
    }
    case 's3':
    case 's3a':
    case 's3n':
    case 'gs':
    case 'hdfs':
    case 'file':
    default:
      return `${scheme}:// is not supported: load scripts from an allowed ADLS Gen2 account with abfss://, or bake them into the image and use local://`;
  }
}
