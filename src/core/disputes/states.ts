/**
 * The Dispute state machine, as one table: each of Antom's notifyDispute messages (antom.md §9b)
 * is a named transition with the Stripe status it leads to and the events it records. A message
 * the table does not allow from the dispute's status changes nothing (a late duplicate, or one
 * that arrives after the dispute closed). test/core/dispute-states.test.ts checks it.
 */
import type { DisputeStatus } from '../model.js';

export type DisputeEventType =
  | 'charge.dispute.created'
  | 'charge.dispute.updated'
  | 'charge.dispute.closed'
  | 'charge.dispute.funds_withdrawn'
  | 'charge.dispute.funds_reinstated';

interface Transition {
  from: readonly (DisputeStatus | 'new')[];
  to: DisputeStatus;
  /** Recorded with the change, in this order, in the same transaction. */
  events: readonly DisputeEventType[];
}

const OPEN: readonly DisputeStatus[] = ['needs_response', 'under_review'];

export const DISPUTE_TRANSITIONS = {
  /** DISPUTE_CREATED: Antom froze the disputed amount. */
  open: { from: ['new'], to: 'needs_response', events: ['charge.dispute.created', 'charge.dispute.funds_withdrawn'] },
  /** DEFENSE_SUPPLIED: the merchant's defence reached Antom; the judgement is awaited. */
  defend: { from: ['needs_response'], to: 'under_review', events: ['charge.dispute.updated'] },
  /** DISPUTE_JUDGED ACCEPT_BY_CUSTOMER: the buyer bears it; the frozen funds return to the merchant. */
  win: { from: OPEN, to: 'won', events: ['charge.dispute.closed', 'charge.dispute.funds_reinstated'] },
  /** DISPUTE_CANCELLED: the buyer withdrew it; as Stripe does for a withdrawn dispute, it is won. */
  withdraw: { from: OPEN, to: 'won', events: ['charge.dispute.closed', 'charge.dispute.funds_reinstated'] },
  /** DISPUTE_JUDGED ACCEPT_BY_MERCHANT: the merchant bears it; the frozen funds go back to the buyer. */
  lose: { from: OPEN, to: 'lost', events: ['charge.dispute.closed'] },
} as const satisfies Record<string, Transition>;

export type DisputeTransition = keyof typeof DISPUTE_TRANSITIONS;

/** The status after `name`, or undefined when the table does not allow it from `from`. */
export function nextDisputeStatus(from: DisputeStatus | 'new', name: DisputeTransition): DisputeStatus | undefined {
  const t: Transition = DISPUTE_TRANSITIONS[name];
  return t.from.includes(from) ? t.to : undefined;
}

export function disputeTransitionEvents(name: DisputeTransition): readonly DisputeEventType[] {
  const t: Transition = DISPUTE_TRANSITIONS[name];
  return t.events;
}
