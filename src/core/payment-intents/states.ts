/**
 * The PaymentIntent state machine, as one table: every status change is a named transition, and
 * anything not in the table is refused. The README draws this table; test/core/states.test.ts
 * checks it.
 */

export type PaymentIntentStatus =
  | 'requires_payment_method'
  | 'requires_confirmation'
  | 'requires_action'
  | 'processing'
  | 'requires_capture'
  | 'canceled'
  | 'succeeded';

export type PaymentIntentEventType =
  | 'payment_intent.created'
  | 'payment_intent.requires_action'
  | 'payment_intent.processing'
  | 'payment_intent.succeeded'
  | 'payment_intent.payment_failed'
  | 'payment_intent.canceled';

interface Transition {
  from: readonly PaymentIntentStatus[];
  to: PaymentIntentStatus;
  /** The event recorded with the change, in the same transaction. */
  event?: PaymentIntentEventType;
}

export const PAYMENT_INTENT_TRANSITIONS = {
  /** A payment method is attached (create or update with payment_method_data). */
  attach_payment_method: { from: ['requires_payment_method', 'requires_confirmation'], to: 'requires_confirmation' },
  /** Antom answered the pay request with a wallet URL: the shopper must act. */
  require_action: { from: ['requires_confirmation'], to: 'requires_action', event: 'payment_intent.requires_action' },
  /** The shopper authorized; the wallet's final word is pending (Antom PAYMENT_PENDING). */
  start_processing: { from: ['requires_confirmation', 'requires_action'], to: 'processing', event: 'payment_intent.processing' },
  succeed: { from: ['requires_confirmation', 'requires_action', 'processing'], to: 'succeeded', event: 'payment_intent.succeeded' },
  /** The attempt failed, was declined or expired: back to the start with last_payment_error. */
  fail: { from: ['requires_confirmation', 'requires_action', 'processing'], to: 'requires_payment_method', event: 'payment_intent.payment_failed' },
  cancel: { from: ['requires_payment_method', 'requires_confirmation', 'requires_action'], to: 'canceled', event: 'payment_intent.canceled' },
} as const satisfies Record<string, Transition>;

export type PaymentIntentTransition = keyof typeof PAYMENT_INTENT_TRANSITIONS;

/** The status after `name`, or undefined when the table does not allow it from `from`. */
export function nextStatus(from: PaymentIntentStatus, name: PaymentIntentTransition): PaymentIntentStatus | undefined {
  const t: Transition = PAYMENT_INTENT_TRANSITIONS[name];
  return t.from.includes(from) ? t.to : undefined;
}

export function transitionEvent(name: PaymentIntentTransition): PaymentIntentEventType | undefined {
  const t: Transition = PAYMENT_INTENT_TRANSITIONS[name];
  return t.event;
}

/** Statuses from which `confirm` may start a payment attempt. */
export const CONFIRMABLE: readonly PaymentIntentStatus[] = ['requires_payment_method', 'requires_confirmation'];
/** Statuses in which amount, currency and payment method may still change. */
export const AMOUNT_MUTABLE: readonly PaymentIntentStatus[] = ['requires_payment_method', 'requires_confirmation'];
export const FINAL: readonly PaymentIntentStatus[] = ['succeeded', 'canceled'];

/** The table as a Mermaid state diagram; the README embeds exactly this text (a test checks). */
export function stateDiagram(): string {
  const lines = ['stateDiagram-v2', '    [*] --> requires_payment_method: create', '    [*] --> requires_confirmation: create with a payment method'];
  for (const [name, t] of Object.entries(PAYMENT_INTENT_TRANSITIONS) as [string, Transition][]) {
    for (const from of t.from) lines.push(`    ${from} --> ${t.to}: ${name}`);
  }
  lines.push('    succeeded --> [*]', '    canceled --> [*]');
  return lines.join('\n');
}
