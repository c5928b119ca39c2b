/**
 * The Hadoop each Spark release series ships: the `hadoop.version` of its Maven build, so the
 * hadoop-client-api/-runtime jars of its distribution and of the apache/spark images. The version
 * catalog's `hadoop` must say this (see ImageEntrySchema): it decides which hadoop-azure can run
 * next to it, and so whether workload identity on ABFS can work, and a typo there must not switch
 * that guard off.
 *
 * Sources: apache/spark pom.xml `<hadoop.version>` (branch-3.5, 3.5.2-SNAPSHOT: 3.3.4); SPARK-49550
 * (apache/spark#48295, merged for 4.0.0: Hadoop 3.4.1); the 3.4 line kept 3.3.4, as 3.5 did
 * (apache/spark#39198: Hadoop 3.3.4 came with 3.4.0, not as a 3.3.x patch); Spark 4.1 ships 3.4.2
 * (apache/spark-kubernetes-operator#521, the Hadoop that Spark 4.1.1 brings). Spark 3.x never
 * shipped Hadoop 3.4 (it needs Spark 4's code changes), and 4.x never below 3.4.1.
 */
export const SPARK_HADOOP: Readonly<Record<string, string>> = Object.freeze({
  // apache/spark branch-3.3 pom.xml <hadoop.version>3.3.2</hadoop.version> (SPARK-37124, for 3.3.0).
  '3.3': '3.3.2',
  '3.4': '3.3.4',
  '3.5': '3.3.4',
  '4.0': '3.4.1',
  '4.1': '3.4.2',
});

/** `3.5.3` → `3.5`. */
export const sparkSeries = (spark: string): string => spark.split('.').slice(0, 2).join('.');

/** The Hadoop a Spark release ships, or undefined for a series this table does not know. */
export const shippedHadoop = (spark: string): string | undefined =>
  Object.hasOwn(SPARK_HADOOP, sparkSeries(spark)) ? SPARK_HADOOP[sparkSeries(spark)] : undefined;
