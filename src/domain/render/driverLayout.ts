/**
 * Fixed facts of a Spark driver pod, from Spark's Constants.scala and the official image.
 */
export const DRIVER_CONTAINER = 'spark-kubernetes-driver';
export const EXECUTOR_CONTAINER = 'spark-kubernetes-executor';

export const PORTS = [
  { name: 'driver-rpc-port', port: 7078 },
  { name: 'blockmanager', port: 7079 },
  { name: 'spark-ui', port: 4040 },
] as const;

export const SPARK_CONF_DIR = '/opt/spark/conf';
export const PROPERTIES_FILE = 'spark.properties';
export const POD_TEMPLATE_DIR = '/opt/spark/pod-template';
export const POD_TEMPLATE_FILE = 'pod-spec-template.yml';
export const LOCAL_DIR = '/var/data/spark-local-dir-1';
export const WORK_DIR = '/opt/spark/work-dir';

export const VOLUMES = {
  localDir: 'spark-local-dir-1',
  conf: 'spark-conf-volume-driver',
  podTemplate: 'pod-template-volume',
  tmp: 'spark-tmp',
  workDir: 'spark-work-dir',
} as const;

/**
 * The writable scratch space of every Spark container (driver and executors, both backends): /tmp
 * and the work dir as emptyDirs. Frozen: the same objects go into every rendered pod.
 */
export const SCRATCH_VOLUMES = Object.freeze([
  Object.freeze({ name: VOLUMES.tmp, emptyDir: Object.freeze({}) }),
  Object.freeze({ name: VOLUMES.workDir, emptyDir: Object.freeze({}) }),
]);
export const SCRATCH_MOUNTS = Object.freeze([
  Object.freeze({ name: VOLUMES.tmp, mountPath: '/tmp' }),
  Object.freeze({ name: VOLUMES.workDir, mountPath: WORK_DIR }),
]);

/**
 * The IP family fields Spark puts on the driver Service from Spark 3.4.0 (SPARK-39490,
 * DriverServiceFeatureStep: `.withIpFamilyPolicy(...)`, `.withIpFamilies(...)`), with the defaults of
 * spark.kubernetes.driver.service.ipFamilyPolicy and .ipFamilies (k8s Config.scala: SingleStack and
 * IPv4; jobs may not set either key). Older Spark leaves both to the API server.
 */
export const DRIVER_SERVICE_IP_FAMILIES_SINCE = '3.4.0';
export const DRIVER_SERVICE_IP_FAMILIES = Object.freeze({
  ipFamilyPolicy: 'SingleStack',
  ipFamilies: Object.freeze(['IPv4'] as const),
} as const);

/** In-cluster API address the driver uses to create executors. */
export const IN_CLUSTER_MASTER = 'k8s://https://kubernetes.default.svc:443';
