/**
 * What the operator backend cannot do, said before anything is created. The Kubeflow Spark
 * Operator submits a SparkApplication by running spark-submit itself, in the operator pod
 * (internal/controller/sparkapplication/submission.go, runSparkSubmit), with `--py-files` from
 * spec.deps.pyFiles. spark-submit resolves those on the submitting side, in every deploy mode
 * (SparkSubmit.prepareSubmitEnvironment: `args.pyFiles = resolveGlobPaths(args.pyFiles, hadoopConf)`,
 * a FileSystem call for any scheme but local/http/https/ftp), so an abfss:// py-file needs
 * hadoop-azure and a credential for the tenant's account in the operator pod, which the stock
 * operator image (FROM apache/spark) does not have. The main file is only passed on in cluster
 * mode (it is downloaded in client mode, by the driver), so abfss:// there is fine.
 */
import type { Settings } from '../../settings/settingsSchema.js';
import { describeValue, type Problem } from './problem.js';

/** The first Spark Operator release with spec.driver.template / spec.executor.template (kubeflow/spark-operator#2141). */
export const OPERATOR_MIN_VERSION = '2.1.0';

export function operatorBackendProblems(job: { readonly pyFiles: readonly string[] }, settings: Pick<Settings, 'operator'>): Problem[] {
  const op = settings.operator;
  if (op === undefined) {
    return [
      {
        path: 'backend',
        expected: `native, or an installation whose settings.operator names the Spark Operator in the cluster (${OPERATOR_MIN_VERSION} or later)`,
        found: describeValue('operator'),
        hint: 'settings.operator is not set: the dispatcher does not know that the cluster runs a Spark Operator that applies pod security from spec.driver.template',
      },
    ];
  }
  if (op.submitterReadsAbfss) return [];
  const problems: Problem[] = [];
  job.pyFiles.forEach((uri, i) => {
    if (!uri.startsWith('abfss://')) return;
    problems.push({
      path: `pyFiles[${i}]`,
      expected: 'a local:/// py-file with the operator backend, or backend native',
      found: describeValue(uri),
      hint: "the Spark Operator's own spark-submit resolves py-files in the operator pod, and settings.operator.submitterReadsAbfss is false (the stock operator image has no hadoop-azure and no identity for the tenant's storage)",
    });
  });
  return problems;
}
