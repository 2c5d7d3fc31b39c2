/**
 * The balance in the dashboard: available and pending per currency (what GET /v1/balance says),
 * the balance transactions that make it up, newest first, and the settlement report of a period
 * as a CSV download (what GET /v1/reports/settlement answers).
 */
import { esc } from '../html.js';
import type { BalanceRow, KeysetPage } from '../../store/dashboard.js';
import type { BalanceTotal, BalanceTransactionType } from '../../core/balances/records.js';
import { badge, code, money, notice, pager, page, table, when, type PageContext } from './layout.js';

export const BALANCE_TYPES: readonly BalanceTransactionType[] = ['charge', 'refund', 'adjustment'];

const CATEGORY_LABEL: Record<string, string> = {
  charge: 'Payment', refund: 'Refund', dispute: 'Dispute: funds withdrawn', dispute_reversal: 'Dispute won: funds reinstated',
};

/** The balance per currency: available and pending side by side. */
export function balanceStats(ctx: PageContext, balance: { available: BalanceTotal[]; pending: BalanceTotal[] }): string {
  const cards = balance.available.map((a) => {
    const pending = balance.pending.find((p) => p.currency === a.currency)?.amount ?? 0;
    return `<div class="stat"><div class="label">Available ${esc(a.currency.toUpperCase())}</div><div class="value">${money(ctx, a.amount, a.currency)}</div>
<div class="muted">${money(ctx, pending, a.currency)} pending</div></div>`;
  });
  return `<div class="grid">${cards.join('')}</div>`;
}

export interface BalanceView {
  form: Record<string, string>;
  balance: { available: BalanceTotal[]; pending: BalanceTotal[] };
  settlementCurrency: string;
  page: KeysetPage<BalanceRow>;
  problems: string[];
  /** The report form's default period (YYYY-MM-DD, UTC): the last 30 days. */
  reportFrom: string;
  reportTo: string;
}

export function balancePage(ctx: PageContext, v: BalanceView): string {
  const opt = (val: string, label: string) => `<option value="${esc(val)}"${val === (v.form.type ?? '') ? ' selected' : ''}>${esc(label)}</option>`;
  const filters = `<form method="get" action="/dashboard/balance" class="filters">
<div class="field"><label for="b-type">Type</label><select id="b-type" name="type">${opt('', 'Any type')}${BALANCE_TYPES.map((t) => opt(t, t.replace(/^./, (c) => c.toUpperCase()))).join('')}</select></div>
<button type="submit" class="btn btn-primary">Apply</button> <a class="btn btn-secondary" href="/dashboard/balance">Clear</a></form>`;
  const report = `<form method="get" action="/dashboard/balance/report.csv" class="filters card">
<div class="field"><label for="r-from">From</label><input id="r-from" name="from" type="date" value="${esc(v.reportFrom)}" required></div>
<div class="field"><label for="r-to">Until (not included)</label><input id="r-to" name="to" type="date" value="${esc(v.reportTo)}" required></div>
<button type="submit" class="btn btn-secondary">Download the settlement report (CSV)</button>
<p class="muted">One line per balance transaction created in the period, with its payment's order reference, description and metadata: what to match with your orders and with Alipay's settlement files.</p></form>`;
  const list = table([
    { label: 'Net', num: true, cell: (b) => `<strong>${money(ctx, b.net, b.currency)}</strong>${b.fee ? ` <span class="muted">after ${money(ctx, b.fee, b.currency)} fees</span>` : ''}` },
    { label: 'Type', cell: (b) => esc(CATEGORY_LABEL[b.reporting_category] ?? b.reporting_category) },
    { label: 'Status', cell: (b) => b.status === 'available' ? badge('succeeded', 'Available') : `${badge('pending', 'Pending')} <span class="muted">until</span> ${when(ctx, b.available_on)}` },
    { label: 'Rate', cell: (b) => b.exchange_rate ? esc(b.exchange_rate) : '—' },
    { label: 'Payment', cell: (b) => `<a href="/dashboard/payments/${esc(b.payment_intent_id)}">${esc(b.payment_intent_id)}</a>${b.payment_description ? `<br><span class="muted">${esc(b.payment_description)}</span>` : ''}` },
    { label: 'Source', cell: (b) => code(b.source_id) },
    { label: 'Created', cell: (b) => when(ctx, b.created) },
  ], v.page.rows, {
    empty: 'No balance transactions yet: each payment, refund and dispute writes one when it moves money.',
    caption: 'Balance transactions, newest first', rowLink: (b) => `/dashboard/payments/${b.payment_intent_id}`,
  });
  const problems = v.problems.length ? notice('error', v.problems.map(esc).join('<br>')) : '';
  return page(ctx, {
    title: 'Balance',
    section: 'balance',
    body: `${problems}<p class="muted">In the settlement currency, ${esc(v.settlementCurrency)}: what Alipay pays out. Funds are pending until they settle, then available.</p>`
      + balanceStats(ctx, v.balance) + `<h2>Settlement report</h2>${report}<h2>Balance transactions</h2>${filters}${list}${pager('/dashboard/balance', v.form, v.page)}`,
  });
}
