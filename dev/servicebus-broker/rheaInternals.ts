/**
 * Typed access to the few rhea internals the test broker needs and rhea's public typings do not
 * expose (rhea 3.0.x). Everything here is server-side plumbing for `amqpBroker.ts`; keeping it in
 * one file makes the dependency on rhea's private fields explicit and easy to re-check on upgrade.
 *
 * Part of the test/local-development Service Bus stand-in (see `amqpBroker.ts`); not production code.
 */
import rhea from 'rhea';
import type { AmqpError, Delivery, Sender, Typed, link as RheaLink } from 'rhea';

/** Fields of the attach frame rhea will send for a link it created in answer to a peer's attach. */
interface LocalAttachFields {
  max_message_size?: number;
  snd_settle_mode?: number;
  rcv_settle_mode?: number;
}

interface LinkInternals {
  local: { attach: LocalAttachFields };
  credit: number;
  delivery_count: number;
  issue_flow: boolean;
  connection: { _register(): void };
}

interface SenderInternals extends LinkInternals {
  _draining: boolean;
  _drained: boolean;
  _get_drain(): boolean;
}

interface DeliveryInternals {
  remote_settled: boolean;
}

interface OutcomeComposite {
  described(): unknown;
}

interface OutcomeFactory {
  accepted(): OutcomeComposite;
  rejected(fields: { error: AmqpError }): OutcomeComposite;
  modified(fields: { delivery_failed?: boolean; undeliverable_here?: boolean }): OutcomeComposite;
  released(): OutcomeComposite;
}

/** Minimal view of rhea's AMQP decoder (`types.Reader`), which the typings do not put on `types`. */
export interface AmqpReader {
  position: number;
  read(): Typed;
  remaining(): number;
}

/** Minimal view of rhea's AMQP encoder (`types.Writer`). */
export interface AmqpWriter {
  write(value: Typed): void;
  toBuffer(): Buffer;
}

interface TypesCodec {
  Reader: new (buffer: Buffer) => AmqpReader;
  Writer: new () => AmqpWriter;
}

const typesCodec = rhea.types as unknown as TypesCodec;

export function createReader(buffer: Buffer): AmqpReader {
  return new typesCodec.Reader(buffer);
}

export function createWriter(): AmqpWriter {
  return new typesCodec.Writer();
}

/**
 * rhea answers a peer's attach with a link whose local attach frame is built lazily; fields set
 * here (before the event handler returns) go out in that attach frame.
 */
export function setLocalAttachFields(link: RheaLink, fields: LocalAttachFields): void {
  const local = (link as unknown as LinkInternals).local.attach;
  Object.assign(local, fields);
}

/**
 * rhea only answers a drain request when the sender still holds credit at that moment. The SDK
 * waits for a `drain=true` flow even when its last credits were consumed by transfers still in
 * flight, and closes the link when none comes; so answer every drain request.
 */
export function alwaysAnswerDrain(sender: Sender): void {
  const internals = sender as unknown as SenderInternals;
  internals._get_drain = function getDrain(this: SenderInternals): boolean {
    if (!this._draining || !this._drained) return false;
    this.delivery_count += this.credit;
    this.credit = 0;
    return true;
  };
}

/** Absolute delivery-count limit granted by the peer's latest flow (delivery-count + link-credit). */
export function creditLimit(sender: Sender): number {
  const internals = sender as unknown as SenderInternals;
  return internals.delivery_count + internals.credit;
}

/** Marks a drain request as complete; rhea then sends the flow with drain=true. */
export function completeDrain(sender: Sender): void {
  const internals = sender as unknown as SenderInternals;
  internals._drained = true;
  internals.issue_flow = true;
  internals.connection._register();
}

/**
 * Settles an outgoing delivery with the given outcome. The peer (receiver in second settle mode)
 * never sends a final settled disposition back, so rhea would keep the delivery in the session's
 * 2048-slot buffer forever; mark it remotely settled so it can be reclaimed.
 */
export function settleOutgoing(delivery: Delivery, outcome: unknown): void {
  delivery.update(true, outcome);
  (delivery as unknown as DeliveryInternals).remote_settled = true;
}

const outcomes = rhea.message as unknown as OutcomeFactory;

export function acceptedOutcome(): unknown {
  return outcomes.accepted().described();
}

export function rejectedOutcome(error: AmqpError): unknown {
  return outcomes.rejected({ error }).described();
}

export function modifiedOutcome(fields: { delivery_failed?: boolean; undeliverable_here?: boolean }): unknown {
  return outcomes.modified(fields).described();
}

export function releasedOutcome(): unknown {
  return outcomes.released().described();
}
