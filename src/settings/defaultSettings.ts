/**
 * The embedded default: the settings `npm start` and a bare `spark-dispatch render` use when no
 * config file or settings variable is given. It describes the local demo (one namespace, one
 * demo storage account), not a production cluster: production passes `--config` or
 * SPARK_DISPATCH_CONFIG.
 */
import type { SettingsInput } from './settingsSchema.js';

export const DEMO_SETTINGS: SettingsInput = {
  clusterProfile: 'aks',
  namespaces: {
    'spark-jobs': {
      driverServiceAccount: 'spark-driver',
      defaults: { driver: { cores: 1, memory: '2g' }, executor: { cores: 1, memory: '2g', instances: 2 }, deadlineSeconds: 3600 },
    },
  },
  defaultNamespace: 'spark-jobs',
  // The local stand-in accepts SparkApplications as a cluster with this Spark Operator release would
  // (it runs no operator); its submitter is the stock image, so abfss py-files stay native-only.
  operator: { version: '2.5.2' },
  storage: {
    accounts: { sparkdispatchdemo: { filesystems: ['jobs', 'data', 'staging'] } },
    auth: {
      mode: 'workload-identity',
      // Placeholder identity of the demo: a real deployment sets its own tenant and client id.
      tenantId: '00000000-0000-0000-0000-000000000000',
      clientId: '11111111-1111-1111-1111-111111111111',
    },
  },
  // Where inline scripts from job messages are staged (the local stack creates the filesystem).
  intake: { staging: { account: 'sparkdispatchdemo', filesystem: 'staging', prefix: 'inline/' } },
};
