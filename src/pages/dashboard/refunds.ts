/** "Refunded payments", as seed 003 names the page: every refund, with totals per currency. */
import { esc } from '../html.js';
import type { CurrencyTotal, KeysetPage, RefundRow } from '../../store/dashboard.js';
import { badge, code, money, pager, page, table, when, type PageContext } from './layout.js';

export interface RefundsView {
  form: Record<string, string>;
  currencies: string[];
  page: KeysetPage<RefundRow>;
  totals: { succeeded: CurrencyTotal[]; pending: CurrencyTotal[] };
  problems: string[];
}

const STATUSES = ['succeeded', 'pending', 'failed', 'canceled'] as const;

export function refundsPage(ctx: PageContext, v: RefundsView): string {
  const f = v.form;
  const opt = (val: string, label: string, cur: string | undefined) => `<option value="${esc(val)}"${val === (cur ?? '') ? ' selected' : ''}>${esc(label)}</option>`;
  const filters = `<form method="get" action="/dashboard/refunds" class="filters">
<div class="field"><label for="r-status">Status</label><select id="r-status" name="status">${opt('', 'Any status', f.status)}${STATUSES.map((s) => opt(s, s.replace(/^./, (c) => c.toUpperCase()), f.status)).join('')}</select></div>
<div class="field"><label for="r-currency">Currency</label><select id="r-currency" name="currency">${opt('', 'Any currency', f.currency)}${v.currencies.map((c) => opt(c, c.toUpperCase(), f.currency)).join('')}</select></div>
<div class="field"><label for="r-from">From</label><input id="r-from" name="from" type="date" value="${esc(f.from ?? '')}"></div>
<div class="field"><label for="r-to">To</label><input id="r-to" name="to" type="date" value="${esc(f.to ?? '')}"></div>
<button type="submit" class="btn btn-primary">Apply</button> <a class="btn btn-secondary" href="/dashboard/refunds">Clear</a></form>`;
  const totals = v.totals.succeeded.length || v.totals.pending.length
    ? `<div class="grid">${v.totals.succeeded.map((t) => `<div class="stat"><div class="label">Refunded ${esc(t.currency.toUpperCase())} (${t.count})</div><div class="value">${money(ctx, t.amount, t.currency)}</div></div>`).join('')}
${v.totals.pending.map((t) => `<div class="stat"><div class="label">Pending ${esc(t.currency.toUpperCase())} (${t.count})</div><div class="value">${money(ctx, t.amount, t.currency)}</div></div>`).join('')}</div>`
    : '';
  const list = table([
    { label: 'Amount', num: true, cell: (r) => `<strong>${money(ctx, r.amount, r.currency)}</strong> <span class="muted">of ${money(ctx, r.payment_amount, r.currency)}</span>` },
    { label: 'Status', cell: (r) => badge(r.status) + (r.failure_reason ? ` <span class="muted">${esc(r.failure_reason)}</span>` : '') },
    { label: 'Reason', cell: (r) => esc(r.reason?.replaceAll('_', ' ') ?? '—') },
    { label: 'Payment', cell: (r) => `<a href="/dashboard/payments/${esc(r.payment_intent_id)}">${esc(r.payment_intent_id)}</a>${r.payment_description ? `<br><span class="muted">${esc(r.payment_description)}</span>` : ''}${r.order_reference ? `<br><span class="muted">Order</span> ${esc(r.order_reference)}` : ''}` },
    { label: 'Refund', cell: (r) => code(r.id) },
    { label: 'Created', cell: (r) => when(ctx, r.created) },
  ], v.page.rows, { empty: 'No refunds match. Refund a payment from its page, or with POST /v1/refunds.', caption: 'Refunds, newest first', rowLink: (r) => `/dashboard/payments/${r.payment_intent_id}` });
  const problems = v.problems.length ? `<div class="notice notice-error" role="alert">${v.problems.map(esc).join('<br>')}</div>` : '';
  return page(ctx, { title: 'Refunded payments', section: 'refunds', body: filters + problems + `<h2>Totals</h2>${totals || '<p class="muted">Nothing refunded under these filters.</p>'}<h2>Refunds</h2>` + list + pager('/dashboard/refunds', f, v.page) });
}
