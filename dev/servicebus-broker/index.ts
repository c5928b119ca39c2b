/**
 * Test/local-development Service Bus stand-in: an AMQP 1.0 broker the real `@azure/service-bus`
 * SDK can talk to (`UseDevelopmentEmulator=true`). Production uses Azure Service Bus.
 */
export { startBroker } from './amqpBroker.js';
export type { Broker, BrokerOptions } from './amqpBroker.js';
export type { BrokerEntityOptions, BrokerStats, Clock } from './entityStore.js';
export { EntityStore } from './entityStore.js';
export type { BrokerMessageView } from './messageCodec.js';
