/**
 * The dashboard's balance against a real gateway with a fee schedule, signed in as a browser would
 * be: the Overview and the Balance page show what GET /v1/balance says, available and pending; the
 * balance transactions of a payment and its refund are listed (filterable by type) with their fees;
 * the settlement report downloaded from the page is, byte for byte, what GET /v1/reports/settlement
 * answers for the same period; a bad period or type is refused in words.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, startGateway, stores, type TestGateway } from '../helpers/gateway.js';
import { signIn, type DashboardClient } from '../helpers/dashboard.js';
import { paidIntent } from '../helpers/payments.js';

const DAY_MS = 86_400_000;
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The rows' links of the page's first table after `heading`. */
function rowsAfter(html: string, heading: string): string[] {
  const from = html.indexOf(`<h2>${heading}</h2>`);
  assert.ok(from >= 0, `no "${heading}" on the page`);
  return [...html.slice(from, html.indexOf('</table>', from)).matchAll(/<tr data-href="([^"]+)">/g)].map((m) => m[1]!);
}

/** What the page shows for an amount of US cents, as the dashboard formats it for an English reader. */
const usd = (cents: number) => `${cents < 0 ? '-' : ''}$${(Math.abs(cents) / 100).toFixed(2)}`;

for (const { kind, skip } of await stores()) {
  describe(`dashboard: balance [${kind}]`, { skip }, () => {
    let g: TestGateway;
    let dash: DashboardClient;
    before(async () => {
      g = await startGateway({ store: kind, env: { OPENCASHIER_FEES: 'alipay=2.9%+30', OPENCASHIER_SETTLEMENT_CURRENCY: 'USD' } });
      dash = await signIn(g.url, g.secretKey);
    });
    after(async () => g?.stop());

    test('the balance, its transactions with fees, filtered by type, and the settlement report as the API gives it', async () => {
      const empty = await dash.get('/dashboard');
      assert.match(empty.text, /Available USD/, 'the settlement currency shows at zero before the first payment');

      const pi = await paidIntent(g, 10_000);
      const charge = await eventually(async () => (await g.api('GET', `/v1/charges/${pi.latest_charge}`)).body.balance_transaction as string | null);
      const refund = (await g.api('POST', '/v1/refunds', { payment_intent: pi.id, amount: 2_500 })).body;
      assert.equal(refund.status, 'succeeded', JSON.stringify(refund));
      const chargeTxn = (await g.api('GET', `/v1/balance_transactions/${charge}`)).body;
      const refundTxn = (await g.api('GET', `/v1/balance_transactions?type=refund`)).body.data[0];
      assert.ok(chargeTxn.fee > 0, 'the schedule took a fee');
      const balance = (await g.api('GET', '/v1/balance')).body;
      const pending = balance.pending.find((b: { currency: string }) => b.currency.toLowerCase() === 'usd')?.amount;
      assert.ok(pending !== undefined, JSON.stringify(balance));
      assert.equal(pending, chargeTxn.net + refundTxn.net);

      const overview = await dash.get('/dashboard');
      assert.match(overview.text, new RegExp(`${usd(pending).replace('$', '\\$')} pending`));
      const page = await dash.get('/dashboard/balance');
      assert.equal(page.status, 200);
      assert.match(page.text, new RegExp(`${usd(pending).replace('$', '\\$')} pending`));
      assert.deepEqual(rowsAfter(page.text, 'Balance transactions'), [`/dashboard/payments/${pi.id}`, `/dashboard/payments/${pi.id}`]);
      assert.ok(page.text.includes(`after ${usd(chargeTxn.fee)} fees`), 'the charge shows its fee');
      assert.ok(page.text.includes(usd(chargeTxn.net)) && page.text.includes(usd(refundTxn.net)));
      assert.match(page.text, /Pending<\/span> <span class="muted">until<\/span>/);
      const refunds = await dash.get('/dashboard/balance?type=refund');
      assert.equal(rowsAfter(refunds.text, 'Balance transactions').length, 1);
      assert.ok(refunds.text.includes(refundTxn.source) && !refunds.text.includes(chargeTxn.source), 'only the refund');

      const now = Date.now();
      const period = `from=${day(now - DAY_MS)}&to=${day(now + DAY_MS)}`;
      const fromPage = await dash.get(`/dashboard/balance/report.csv?${period}`);
      assert.equal(fromPage.status, 200);
      assert.match(fromPage.headers.get('content-type') ?? '', /^text\/csv/);
      assert.match(fromPage.headers.get('content-disposition') ?? '', /attachment; filename="settlement-/);
      const fromApi = await fetch(`${g.url}/v1/reports/settlement?${period}`, { headers: { Authorization: `Bearer ${g.secretKey}` } });
      assert.equal(fromPage.text, await fromApi.text(), 'the same report as the API');
      assert.equal(fromPage.text.trim().split('\r\n').length, 3, 'a header and the two transactions');
    });

    test('a bad period or type is refused in words', async () => {
      const bad = await dash.get(`/dashboard/balance/report.csv?from=${day(Date.now())}&to=${day(Date.now() - DAY_MS)}`);
      assert.equal(bad.status, 303);
      assert.equal(bad.location, '/dashboard/balance?report=bad');
      assert.match((await dash.get(bad.location!)).text, /The settlement report needs a period/);
      assert.equal((await dash.get('/dashboard/balance/report.csv?from=yesterday')).status, 303);
      assert.match((await dash.get('/dashboard/balance?type=payout')).text, /&quot;payout&quot; is not a balance transaction type/);
    });
  });
}
