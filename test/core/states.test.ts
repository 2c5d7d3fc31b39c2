import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  CONFIRMABLE, PAYMENT_INTENT_TRANSITIONS, nextStatus, stateDiagram, transitionEvent,
  type PaymentIntentStatus, type PaymentIntentTransition,
} from '../../src/core/payment-intents/states.js';

const STATUSES: PaymentIntentStatus[] = ['requires_payment_method', 'requires_confirmation', 'requires_action', 'processing', 'requires_capture', 'canceled', 'succeeded'];

// Stripe's PaymentIntent lifecycle, written out independently of the table under test.
const ALLOWED: Record<PaymentIntentTransition, Partial<Record<PaymentIntentStatus, PaymentIntentStatus>>> = {
  attach_payment_method: { requires_payment_method: 'requires_confirmation', requires_confirmation: 'requires_confirmation' },
  require_action: { requires_confirmation: 'requires_action' },
  start_processing: { requires_confirmation: 'processing', requires_action: 'processing' },
  succeed: { requires_confirmation: 'succeeded', requires_action: 'succeeded', processing: 'succeeded' },
  fail: { requires_confirmation: 'requires_payment_method', requires_action: 'requires_payment_method', processing: 'requires_payment_method' },
  cancel: { requires_payment_method: 'canceled', requires_confirmation: 'canceled', requires_action: 'canceled' },
};

test('every (status, transition) pair goes exactly where Stripe\'s lifecycle says, and nowhere else', () => {
  assert.deepEqual(Object.keys(PAYMENT_INTENT_TRANSITIONS).sort(), Object.keys(ALLOWED).sort());
  for (const name of Object.keys(ALLOWED) as PaymentIntentTransition[]) {
    for (const from of STATUSES) {
      assert.equal(nextStatus(from, name), ALLOWED[name][from], `${from} --${name}-->`);
    }
  }
});

test('final states have no way out', () => {
  for (const name of Object.keys(ALLOWED) as PaymentIntentTransition[]) {
    assert.equal(nextStatus('succeeded', name), undefined);
    assert.equal(nextStatus('canceled', name), undefined);
  }
});

test('cancel is refused once processing has started', () => {
  assert.equal(nextStatus('processing', 'cancel'), undefined);
  assert.equal(nextStatus('requires_action', 'cancel'), 'canceled');
});

test('each transition records the Stripe event named for it', () => {
  assert.equal(transitionEvent('require_action'), 'payment_intent.requires_action');
  assert.equal(transitionEvent('start_processing'), 'payment_intent.processing');
  assert.equal(transitionEvent('succeed'), 'payment_intent.succeeded');
  assert.equal(transitionEvent('fail'), 'payment_intent.payment_failed');
  assert.equal(transitionEvent('cancel'), 'payment_intent.canceled');
  assert.equal(transitionEvent('attach_payment_method'), undefined);
});

test('only requires_payment_method and requires_confirmation may be confirmed', () => {
  assert.deepEqual([...CONFIRMABLE].sort(), ['requires_confirmation', 'requires_payment_method']);
});

test('the README draws exactly this table', () => {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  assert.ok(readme.includes('```mermaid\n' + stateDiagram() + '\n```'), 'README.md must embed stateDiagram() in a mermaid block; regenerate it with: node -e "import(\'./dist/src/core/payment-intents/states.js\').then(m=>console.log(m.stateDiagram()))"');
});
