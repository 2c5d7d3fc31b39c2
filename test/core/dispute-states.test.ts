import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DISPUTE_TRANSITIONS, disputeTransitionEvents, messageTransition, nextDisputeStatus, openingTransition, type DisputeTransition } from '../../src/core/disputes/states.js';
import { disputeReason } from '../../src/core/disputes/reason.js';
import type { DisputeStatus } from '../../src/core/model.js';

const STATUSES: (DisputeStatus | 'new')[] = [
  'new', 'warning_needs_response', 'warning_under_review', 'warning_closed', 'needs_response', 'under_review', 'won', 'lost',
];

// What Antom's notifyDispute messages do to a Stripe dispute (antom.md §9b), written out apart from the table.
const ALLOWED: Record<DisputeTransition, Partial<Record<DisputeStatus | 'new', DisputeStatus>>> = {
  open: { new: 'needs_response' },
  defend: { needs_response: 'under_review' },
  win: { needs_response: 'won', under_review: 'won' },
  withdraw: { needs_response: 'won', under_review: 'won' },
  lose: { needs_response: 'lost', under_review: 'lost' },
  inquire: { new: 'warning_needs_response' },
  defend_inquiry: { warning_needs_response: 'warning_under_review' },
  validate: { warning_needs_response: 'warning_closed', warning_under_review: 'warning_closed' },
  escalate: { warning_needs_response: 'needs_response', warning_under_review: 'needs_response' },
};

test('every (status, notifyDispute transition) pair goes where the table says, and a closed dispute never moves again', () => {
  assert.deepEqual(Object.keys(DISPUTE_TRANSITIONS).sort(), Object.keys(ALLOWED).sort());
  for (const name of Object.keys(ALLOWED) as DisputeTransition[]) {
    for (const from of STATUSES) assert.equal(nextDisputeStatus(from, name), ALLOWED[name][from], `${from} --${name}-->`);
  }
});

test('opening withdraws the funds; winning (or the buyer withdrawing) reinstates them; losing only closes', () => {
  assert.deepEqual(disputeTransitionEvents('open'), ['charge.dispute.created', 'charge.dispute.funds_withdrawn']);
  assert.deepEqual(disputeTransitionEvents('win'), ['charge.dispute.closed', 'charge.dispute.funds_reinstated']);
  assert.deepEqual(disputeTransitionEvents('withdraw'), ['charge.dispute.closed', 'charge.dispute.funds_reinstated']);
  assert.deepEqual(disputeTransitionEvents('lose'), ['charge.dispute.closed']);
  assert.deepEqual(disputeTransitionEvents('defend'), ['charge.dispute.updated']);
});

test('an inquiry (retrieval request) withdraws nothing when it opens or closes, and withdraws the funds when it escalates to a chargeback', () => {
  assert.deepEqual(disputeTransitionEvents('inquire'), ['charge.dispute.created']);
  assert.deepEqual(disputeTransitionEvents('defend_inquiry'), ['charge.dispute.updated']);
  assert.deepEqual(disputeTransitionEvents('validate'), ['charge.dispute.closed']);
  assert.deepEqual(disputeTransitionEvents('escalate'), ['charge.dispute.updated', 'charge.dispute.funds_withdrawn']);
});

test('each notifyDispute message names its transition from the dispute\'s status', () => {
  assert.equal(openingTransition({}), 'open');
  assert.equal(openingTransition({ retrieval: true }), 'inquire');
  assert.equal(openingTransition({ judgedResult: 'VALIDATE_FAIL' }), 'inquire', 'a retrieval result before its DISPUTE_CREATED opens an inquiry');
  assert.equal(messageTransition({ type: 'DISPUTE_CREATED' }, 'needs_response'), undefined, 'a repeated DISPUTE_CREATED');
  assert.equal(messageTransition({ type: 'DISPUTE_CREATED', retrieval: true }, 'warning_needs_response'), undefined);
  assert.equal(messageTransition({ type: 'DISPUTE_CREATED' }, 'warning_under_review'), 'escalate', 'a chargeback for an inquiry escalates it');
  assert.equal(messageTransition({ type: 'DEFENSE_SUPPLIED' }, 'needs_response'), 'defend');
  assert.equal(messageTransition({ type: 'DEFENSE_SUPPLIED' }, 'warning_needs_response'), 'defend_inquiry');
  // The inquiry's documents, told after its VALIDATE_FAIL made it a chargeback: the chargeback stays undefended.
  assert.equal(messageTransition({ type: 'DEFENSE_SUPPLIED', retrieval: true }, 'needs_response'), undefined);
  assert.equal(messageTransition({ type: 'DEFENSE_SUPPLIED', retrieval: true }, 'warning_needs_response'), 'defend_inquiry');
  assert.equal(messageTransition({ type: 'DISPUTE_JUDGED', judgedResult: 'VALIDATE_SUCCESS' }, 'warning_under_review'), 'validate');
  assert.equal(messageTransition({ type: 'DISPUTE_JUDGED', judgedResult: 'VALIDATE_FAIL' }, 'warning_under_review'), 'escalate');
  assert.equal(messageTransition({ type: 'DISPUTE_JUDGED', judgedResult: 'ACCEPT_BY_CUSTOMER' }, 'under_review'), 'win');
  assert.equal(messageTransition({ type: 'DISPUTE_JUDGED', judgedResult: 'ACCEPT_BY_MERCHANT' }, 'under_review'), 'lose');
  assert.equal(messageTransition({ type: 'DISPUTE_CANCELLED' }, 'needs_response'), 'withdraw');
  assert.equal(messageTransition({ type: 'DEFENSE_DUE_ALERT' }, 'needs_response'), undefined);
});

test('Antom\'s free-text reason is told as Stripe\'s closed reason, general when no word matches', () => {
  assert.equal(disputeReason('Unauthorized transaction'), 'fraudulent');
  assert.equal(disputeReason('The buyer was charged twice'), 'duplicate');
  assert.equal(disputeReason('Goods never arrived'), 'product_not_received');
  assert.equal(disputeReason('Item not as described'), 'product_unacceptable');
  assert.equal(disputeReason('I do not recognize this payment'), 'unrecognized');
  assert.equal(disputeReason('Something else entirely'), 'general');
  assert.equal(disputeReason(undefined), 'general');
});
