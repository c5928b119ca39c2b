/**
 * What the stand-in's simulated driver can know of a PySpark script without running Python: the
 * arguments it declares in a header line, so that a driver started with the wrong number of them
 * fails as the script itself would (its usage line on stderr, exit code 2, as argparse and the
 * examples' own checks exit), and a main script that is not in storage fails as spark-submit does
 * in the driver (a FileNotFoundException from ABFS, exit code 1).
 *
 *   # spark-dispatch-example: args=2      exactly two arguments
 *   # spark-dispatch-example: args=1-3    one to three
 *   # spark-dispatch-example: args=1+     at least one
 *
 * A script without the header is not judged: the simulated driver runs it as before.
 */

export interface DeclaredArguments {
  readonly min: number;
  /** `Infinity`: no upper bound. */
  readonly max: number;
  /** The script's own usage line (the first string literal starting with `usage:`), if it has one. */
  readonly usage?: string | undefined;
}

/** Where a script read by the simulator came from, and what was there. */
export type ScriptRead =
  | { readonly kind: 'found'; readonly text: string }
  /** Nothing at the main's path: the real driver's spark-submit fails to download it. */
  | { readonly kind: 'missing'; readonly url: string }
  /** The simulator cannot tell (a local:/// main in the image, storage it cannot reach): not judged. */
  | { readonly kind: 'unknown' };

/** What the simulated driver does: run as usual, or print these lines and exit with this code. */
export type DriverFate =
  | { readonly kind: 'runs' }
  | { readonly kind: 'exits'; readonly exitCode: number; readonly lines: readonly string[]; readonly why: string };

const HEADER = /^#\s*spark-dispatch-example:\s*(.*)$/m;
const ARGS = /(?:^|\s)args=(\d+)(?:(\+)|-(\d+))?(?=\s|$)/;
const USAGE = /(["'])(usage:[^"'\n]*)\1/i;

/** The arguments a script declares, or undefined when it has no (readable) header. */
export function declaredArguments(script: string): DeclaredArguments | undefined {
  const header = HEADER.exec(script)?.[1];
  if (header === undefined) return undefined;
  const args = ARGS.exec(header);
  if (!args) return undefined;
  const min = Number(args[1]);
  const max = args[2] ? Infinity : args[3] !== undefined ? Number(args[3]) : min;
  if (max < min) return undefined;
  return { min, max, usage: USAGE.exec(script)?.[2] };
}

/** `main.py` of `abfss://…/wordcount/main.py`. */
function fileName(mainUri: string): string {
  return mainUri.slice(mainUri.lastIndexOf('/') + 1) || mainUri;
}

function expected(declared: DeclaredArguments): string {
  if (declared.max === Infinity) return `at least ${declared.min}`;
  return declared.min === declared.max ? String(declared.min) : `${declared.min} to ${declared.max}`;
}

/** The fate of a driver whose main script read as `read`, started with `args` (the arguments after the script). */
export function driverFate(read: ScriptRead, mainUri: string, args: readonly string[]): DriverFate {
  if (read.kind === 'unknown') return { kind: 'runs' };
  if (read.kind === 'missing') {
    return {
      kind: 'exits',
      exitCode: 1,
      why: `main script not found: ${mainUri}`,
      lines: [
        `Exception in thread "main" java.io.FileNotFoundException: Operation failed: "The specified path does not exist.", 404, HEAD, ${read.url}?upn=false&action=getStatus&timeout=90`,
        '\tat org.apache.hadoop.fs.azurebfs.AzureBlobFileSystem.checkException(AzureBlobFileSystem.java:1436)',
        '\tat org.apache.spark.deploy.DependencyUtils$.downloadFile(DependencyUtils.scala:270)',
        '\tat org.apache.spark.deploy.SparkSubmit.prepareSubmitEnvironment(SparkSubmit.scala:400)',
      ],
    };
  }
  const declared = declaredArguments(read.text);
  if (!declared || (args.length >= declared.min && args.length <= declared.max)) return { kind: 'runs' };
  const name = fileName(mainUri);
  const usage = declared.usage ?? `usage: ${name} (${expected(declared)} arguments)`;
  return {
    kind: 'exits',
    exitCode: 2,
    why: `${name} takes ${expected(declared)} argument${declared.min === 1 && declared.max === 1 ? '' : 's'}, got ${args.length}`,
    lines: [usage],
  };
}

/** The main script and its arguments in a driver pod's args, as the native backend renders them. */
export function driverCommand(containerArgs: readonly string[]): { readonly main: string; readonly args: readonly string[] } | undefined {
  const at = containerArgs.indexOf('org.apache.spark.deploy.PythonRunner');
  const main = at >= 0 ? containerArgs[at + 1] : undefined;
  return main === undefined ? undefined : { main, args: containerArgs.slice(at + 2) };
}
