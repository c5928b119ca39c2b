/** What the intake use cases (job messages, storage events) need, passed in by the trigger layer. */
import type { Settings } from '../settings/settingsSchema.js';
import type { ClusterPort } from './clusterPort.js';
import type { FilesPort } from './filesPort.js';
import type { LedgerPort } from './ledgerPort.js';
import type { Logger } from '../shared/logger.js';
import type { EventsPort, QueuePort } from './queuePort.js';

export interface IntakeDeps {
  readonly settings: Settings;
  /** Connected on first use: a function that never needs the cluster never loads its client. */
  readonly cluster: () => Promise<ClusterPort>;
  readonly ledger: LedgerPort;
  readonly queue: QueuePort;
  readonly events: EventsPort;
  readonly files: FilesPort;
  readonly now: () => Date;
  readonly log: Logger;
  readonly random?: () => number;
}
