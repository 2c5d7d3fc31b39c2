/**
 * The dashboard's Disputes section against a real gateway, signed in as a browser would be: the
 * disputes Antom opened (through the simulator's signed notifyDispute) awaiting an answer, soonest
 * due first, with their due dates; a dispute's page; evidence saved, then sent to Alipay; a dispute
 * accepted; a refused change that leaves the dispute as it was; the payment's page naming its
 * dispute. Every change is checked through /v1, not only on the page.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, startGateway, stores, type TestGateway } from '../helpers/gateway.js';
import { signIn, type DashboardClient } from '../helpers/dashboard.js';
import { paidIntent } from '../helpers/payments.js';

const DAY = 86_400;

/** A paid PaymentIntent disputed through the simulator; returns the gateway's dispute once opened. */
async function disputed(g: TestGateway, amount: number, windowSeconds: number, reason: string) {
  const pi = await paidIntent(g, amount);
  const res = await fetch(`${g.url}/simulator/v1/disputes`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ payment_intent: pi.id, reason, defense_window_seconds: windowSeconds }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return eventually(async () => (await g.api('GET', `/v1/disputes?payment_intent=${pi.id}`)).body.data?.[0]);
}

/** The rows of the page's first table after `heading`, as their text. */
function rowsAfter(html: string, heading: string): string[] {
  const from = html.indexOf(`<h2>${heading}</h2>`);
  assert.ok(from >= 0, `no "${heading}" on the page`);
  const tableEnd = html.indexOf('</table>', from);
  return [...html.slice(from, tableEnd).matchAll(/<tr data-href="([^"]+)">/g)].map((m) => m[1]!);
}

for (const { kind, skip } of await stores()) {
  describe(`dashboard: disputes [${kind}]`, { skip }, () => {
    let g: TestGateway;
    let dash: DashboardClient;
    before(async () => {
      g = await startGateway({ store: kind });
      dash = await signIn(g.url, g.secretKey);
    });
    after(async () => g?.stop());

    test('with none, the page says nothing is waiting', async () => {
      const page = await dash.get('/dashboard/disputes');
      assert.equal(page.status, 200);
      assert.match(page.text, /No dispute is waiting for your answer/);
      assert.match(page.text, /No disputes match/);
    });

    test('awaiting an answer, soonest due first, with due dates; evidence saved, then sent; one accepted; the payment names its dispute', async () => {
      const later = await disputed(g, 900, 10 * DAY, 'The goods were not received.');
      const sooner = await disputed(g, 700, 3 * 3600, 'I did not make this payment.');

      const list = await dash.get('/dashboard/disputes');
      assert.equal(list.status, 200);
      assert.deepEqual(rowsAfter(list.text, 'Awaiting your response').slice(0, 2), [`/dashboard/disputes/${sooner.id}`, `/dashboard/disputes/${later.id}`]);
      assert.match(list.text, /in 2 hours/, 'the soon one says how soon');
      assert.match(list.text, /in 9 days/);
      assert.match(list.text, /Needs response/);
      assert.match(list.text, /product not received/, 'the reason, read from Antom\'s text');

      // Evidence saved: kept, nothing sent.
      const form = await dash.get(`/dashboard/disputes/${later.id}`);
      assert.equal(form.status, 200);
      assert.match(form.text, /name="uncategorized_text"/);
      const saved = await dash.post(`/dashboard/disputes/${later.id}/evidence`, { uncategorized_text: 'Delivered on 3 May, signed for.', shipping_tracking_number: 'TRK-1', submit: '0' });
      assert.equal(saved.status, 303, saved.text.slice(0, 500));
      assert.equal(saved.location, `/dashboard/disputes/${later.id}?done=saved`);
      let api = (await g.api('GET', `/v1/disputes/${later.id}`)).body;
      assert.equal(api.evidence.uncategorized_text, 'Delivered on 3 May, signed for.');
      assert.equal(api.evidence.shipping_tracking_number, 'TRK-1');
      assert.equal(api.status, 'needs_response');
      assert.equal(api.evidence_details.submission_count, 0);
      assert.match((await dash.get(saved.location!)).text, /Delivered on 3 May, signed for\./, 'the form shows what was saved');

      // Sent to Alipay: under review.
      const sent = await dash.post(`/dashboard/disputes/${later.id}/evidence`, { uncategorized_text: 'Delivered on 3 May, signed for.', submit: '1' });
      assert.equal(sent.status, 303, sent.text.slice(0, 500));
      api = (await g.api('GET', `/v1/disputes/${later.id}`)).body;
      assert.equal(api.status, 'under_review');
      assert.equal(api.evidence_details.submission_count, 1);
      assert.match((await dash.get(sent.location!)).text, /Evidence sent to Alipay/);

      // Accepted: lost, and it leaves the awaiting list.
      const accepted = await dash.post(`/dashboard/disputes/${sooner.id}/accept`, {});
      assert.equal(accepted.status, 303, accepted.text.slice(0, 500));
      assert.equal((await g.api('GET', `/v1/disputes/${sooner.id}`)).body.status, 'lost');
      const after = await dash.get('/dashboard/disputes');
      assert.match(after.text, /No dispute is waiting for your answer/);
      assert.deepEqual(rowsAfter((await dash.get('/dashboard/disputes?status=lost')).text, 'All disputes'), [`/dashboard/disputes/${sooner.id}`]);

      // A closed dispute takes no evidence: refused in words, nothing stored.
      const refused = await dash.post(`/dashboard/disputes/${sooner.id}/evidence`, { uncategorized_text: 'too late', submit: '0' });
      assert.equal(refused.status, 400);
      assert.match(refused.text, /is closed \(lost\); it takes no more evidence/);
      assert.deepEqual((await g.api('GET', `/v1/disputes/${sooner.id}`)).body.evidence.uncategorized_text, null);
      assert.doesNotMatch(refused.text, /name="uncategorized_text"/, 'a closed dispute shows no evidence form');

      // The payment's page lists its dispute.
      const payment = await dash.get(`/dashboard/payments/${later.payment_intent}`);
      assert.deepEqual(rowsAfter(payment.text, 'Disputes'), [`/dashboard/disputes/${later.id}`]);
      assert.match(payment.text, /charge\.dispute\.created/, 'the timeline has the dispute\'s events');
    });

    test('a form without the CSRF token, an unknown dispute and an unknown status are refused in words', async () => {
      const csrf = await dash.post('/dashboard/disputes/dp_nope/accept', {}, { csrf: false });
      assert.equal(csrf.status, 403);
      const missing = await dash.get('/dashboard/disputes/dp_nope');
      assert.equal(missing.status, 404);
      assert.match(missing.text, /There is no dispute dp_nope in test mode/);
      assert.equal((await dash.post('/dashboard/disputes/dp_nope/evidence', { uncategorized_text: 'x' })).status, 404);
      const odd = await dash.get('/dashboard/disputes?status=bogus');
      assert.equal(odd.status, 200);
      assert.match(odd.text, /&quot;bogus&quot; is not a dispute status/);
    });
  });
}
