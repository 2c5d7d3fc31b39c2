/**
 * The Dispute state machine, as one table: each of Antom's notifyDispute messages (antom.md §9b)
 * is a named transition with the Stripe status it leads to and the events it records. A message
 * the table does not allow from the dispute's status changes nothing (a late duplicate, or one
 * that arrives after the dispute closed). test/core/dispute-states.test.ts checks it.
 *
 * A retrieval request (Antom's disputeType; wallet payments go retrieval request → escalation →
 * chargeback) is Stripe's inquiry: `warning_needs_response`, no funds withdrawn, the charge still
 * refundable. Its documents make it `warning_under_review`; judged VALIDATE_SUCCESS it is
 * `warning_closed`; judged VALIDATE_FAIL, or escalated (a DISPUTE_CREATED that is a chargeback),
 * it is a chargeback, `needs_response`, and the funds are withdrawn then.
 */
import type { DisputeNotification } from '../connector.js';
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
const INQUIRY_OPEN: readonly DisputeStatus[] = ['warning_needs_response', 'warning_under_review'];

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
  /** DISPUTE_CREATED of a retrieval request: an inquiry, nothing withdrawn (Stripe sends no funds event for one). */
  inquire: { from: ['new'], to: 'warning_needs_response', events: ['charge.dispute.created'] },
  /** DEFENSE_SUPPLIED for a retrieval request: its documents reached Antom. */
  defend_inquiry: { from: ['warning_needs_response'], to: 'warning_under_review', events: ['charge.dispute.updated'] },
  /** DISPUTE_JUDGED VALIDATE_SUCCESS: the documents satisfied the retrieval request; it ends without a chargeback. */
  validate: { from: INQUIRY_OPEN, to: 'warning_closed', events: ['charge.dispute.closed'] },
  /** DISPUTE_JUDGED VALIDATE_FAIL, or a chargeback's DISPUTE_CREATED for a retrieval request: it became a chargeback; Antom freezes the funds now. */
  escalate: { from: INQUIRY_OPEN, to: 'needs_response', events: ['charge.dispute.updated', 'charge.dispute.funds_withdrawn'] },
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

/** A dispute Antom tells of for the first time opens as an inquiry (a retrieval request) or a chargeback. */
export function openingTransition(n: Pick<DisputeNotification, 'retrieval' | 'judgedResult'>): 'open' | 'inquire' {
  return n.retrieval || n.judgedResult === 'VALIDATE_SUCCESS' || n.judgedResult === 'VALIDATE_FAIL' ? 'inquire' : 'open';
}

const isInquiry = (status: DisputeStatus) => status.startsWith('warning_');

/** The defence reaching Antom (DEFENSE_SUPPLIED, or Antom taking supplyDefenseDocument), for a dispute in `status`. */
export function defenceTransition(status: DisputeStatus): 'defend' | 'defend_inquiry' {
  return isInquiry(status) ? 'defend_inquiry' : 'defend';
}

/**
 * Which transition a message asks of an existing dispute in `status`; undefined for the ones that
 * change no status (DEFENSE_DUE_ALERT, RDR_RESOLVED, a repeated DISPUTE_CREATED).
 */
export function messageTransition(n: Pick<DisputeNotification, 'type' | 'retrieval' | 'judgedResult'>, status: DisputeStatus): DisputeTransition | undefined {
  switch (n.type) {
    case 'DISPUTE_CREATED': return isInquiry(status) && !n.retrieval ? 'escalate' : undefined;
    // A retrieval request's documents reaching Antom, told after it became a chargeback (Antom's
    // notifications may arrive in any order): late news of the inquiry, not a defence of the chargeback.
    case 'DEFENSE_SUPPLIED': return n.retrieval && !isInquiry(status) ? undefined : defenceTransition(status);
    case 'DISPUTE_CANCELLED': return 'withdraw';
    case 'DISPUTE_JUDGED':
      switch (n.judgedResult) {
        case 'ACCEPT_BY_CUSTOMER': return 'win';
        case 'ACCEPT_BY_MERCHANT': return 'lose';
        case 'VALIDATE_SUCCESS': return 'validate';
        case 'VALIDATE_FAIL': return 'escalate';
        default: return undefined;
      }
    default: return undefined;
  }
}
