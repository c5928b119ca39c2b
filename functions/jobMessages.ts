/**
 * Service Bus queue trigger: one job message per invocation. Resolving completes the message;
 * throwing abandons it, so Service Bus redelivers it (and dead-letters it after maxDeliveryCount).
 *
 * One trigger per tenant queue: the queue a message arrived on decides its tenant, and only that
 * team may send to it (Service Bus RBAC per queue), so no message body can speak for another team.
 */
import { app } from '@azure/functions';
import { makeJobMessagesHandler } from '../src/triggers/jobMessagesHandler.js';
import { tenantQueues } from '../src/triggers/tenantQueues.js';
import { onceAsync } from '../src/shared/onceAsync.js';

// The runtime loads on the first message (cold start) and is held: no import() per invocation.
const deps = onceAsync(async () => (await import('../src/runtime/functionsRuntime.js')).functionsDeps());
export const jobMessages = makeJobMessagesHandler(deps);

const queues = tenantQueues(process.env);
if (queues.length === 0) {
  app.serviceBusQueue('jobMessages', { connection: 'ServiceBusConnection', queueName: '%SPARK_DISPATCH_JOB_QUEUE%', handler: jobMessages });
} else {
  // Function names allow letters, digits, - and _; queue names may also hold dots.
  for (const queue of queues) {
    app.serviceBusQueue(`jobMessages-${queue.replace(/[^A-Za-z0-9_-]/g, '_')}`, {
      connection: 'ServiceBusConnection',
      queueName: queue,
      handler: makeJobMessagesHandler(deps, queue),
    });
  }
}
