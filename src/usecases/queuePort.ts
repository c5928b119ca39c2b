/** The job queue (Service Bus) as the use cases see it: send now, or schedule for later. */
export interface OutgoingMessage {
  /** The queue: a job goes back to its own tenant's queue (deferrals, hand-overs), never to another's. */
  readonly queue: string;
  readonly body: unknown;
  /** Deterministic ids let Service Bus duplicate detection drop a second send of the same message. */
  readonly messageId: string;
  readonly applicationProperties: Readonly<Record<string, string | number | boolean>>;
  readonly subject?: string;
}

export interface QueuePort {
  send(message: OutgoingMessage): Promise<void>;
  schedule(message: OutgoingMessage, at: Date): Promise<void>;
}

export type LifecycleEventType = 'launched' | 'rejected' | 'deferred' | 'queued' | 'dead-lettered' | 'swept' | 'finished' | 'lost';

/** What downstream consumers (an orchestrator waiting for its job) receive on the events topic. */
export interface LifecycleEvent {
  readonly type: LifecycleEventType;
  readonly jobKey: string;
  /** A property of the topic message too, so each team's subscription can filter on it (`tenant = 'sales'`). */
  readonly tenant?: string;
  readonly at: string;
  readonly namespace?: string;
  readonly driverPod?: string;
  readonly reasons?: readonly string[];
  readonly detail?: string;
  readonly data?: Readonly<Record<string, unknown>>;
}

export interface EventsPort {
  publish(event: LifecycleEvent): Promise<void>;
}

/** When no events topic is configured. */
export const NO_EVENTS: EventsPort = { publish: async () => {} };
