/** The Overview: the last 30 days per day and per currency — volume, succeeded vs failed, refunds. */
import { esc } from '../html.js';
import type { DayTotals } from '../../store/dashboard.js';
import { barChart, lineChart, SERIES_COLOURS } from './chart.js';
import { money, page, table, type PageContext } from './layout.js';
import { balanceStats } from './balance.js';
import type { BalanceTotal } from '../../core/balances/records.js';

export interface OverviewView {
  /** Every UTC day of the window, oldest first (YYYY-MM-DD). */
  days: string[];
  totals: DayTotals[];
  /** The balance now, per currency (GET /v1/balance). */
  balance: { available: BalanceTotal[]; pending: BalanceTotal[] };
  publicUrl: string;
}

type CurrencySum = Omit<DayTotals, 'day'>;

export function sumByCurrency(totals: readonly DayTotals[]): CurrencySum[] {
  const by = new Map<string, CurrencySum>();
  for (const t of totals) {
    const s = by.get(t.currency) ?? { currency: t.currency, succeeded_count: 0, succeeded_amount: 0, failed_count: 0, refunded_count: 0, refunded_amount: 0 };
    s.succeeded_count += t.succeeded_count;
    s.succeeded_amount += t.succeeded_amount;
    s.failed_count += t.failed_count;
    s.refunded_count += t.refunded_count;
    s.refunded_amount += t.refunded_amount;
    by.set(t.currency, s);
  }
  return [...by.values()].sort((a, b) => b.succeeded_count - a.succeeded_count || a.currency.localeCompare(b.currency));
}

function gettingStarted(v: OverviewView): string {
  const u = esc(v.publicUrl);
  return `<div class="card stack"><h2>Take a first payment</h2>
<p>No payments in the last 30 days. Make one with your secret key (Developers shows it), or fill this test account with sample data: <code>npm run seed</code>.</p>
<pre>curl ${u}/v1/payment_intents -u sk_test_…: \\
  -d amount=2000 -d currency=usd -d confirm=true \\
  -d "payment_method_data[type]=alipay" -d return_url=https://example.com/done</pre></div>`;
}

export function overviewPage(ctx: PageContext, v: OverviewView): string {
  const sums = sumByCurrency(v.totals);
  const okCount = sums.reduce((s, c) => s + c.succeeded_count, 0);
  const badCount = sums.reduce((s, c) => s + c.failed_count, 0);
  const refundCount = sums.reduce((s, c) => s + c.refunded_count, 0);
  const stats = `<div class="grid">
<div class="stat"><div class="label">Succeeded payments</div><div class="value">${okCount}</div></div>
<div class="stat"><div class="label">Failed attempts</div><div class="value">${badCount}</div></div>
<div class="stat"><div class="label">Success rate</div><div class="value">${okCount + badCount ? `${Math.round((okCount / (okCount + badCount)) * 100)}%` : '—'}</div></div>
<div class="stat"><div class="label">Refunds</div><div class="value">${refundCount}</div></div>
</div>`;
  const balance = `<h2>Balance <a class="btn btn-link" href="/dashboard/balance">Transactions and settlement report →</a></h2>${balanceStats(ctx, v.balance)}`;
  if (sums.length === 0) return page(ctx, { title: 'Overview', section: 'overview', body: `<p class="muted">Last 30 days, UTC.</p>${stats}${balance}${gettingStarted(v)}` });

  const index = new Map(v.days.map((d, i) => [d, i]));
  const shown = sums.slice(0, SERIES_COLOURS.length);
  const series = shown.map((c) => {
    const values = v.days.map(() => 0);
    for (const t of v.totals) if (t.currency === c.currency && index.has(t.day)) values[index.get(t.day)!]! += t.succeeded_amount;
    return { label: c.currency.toUpperCase(), values };
  });
  const ok = v.days.map(() => 0);
  const bad = v.days.map(() => 0);
  for (const t of v.totals) {
    const i = index.get(t.day);
    if (i === undefined) continue;
    ok[i]! += t.succeeded_count;
    bad[i]! += t.failed_count;
  }
  const legend = `<ul class="legend">${series.map((s, k) => `<li><span class="key k${k}"></span>${esc(s.label)}</li>`).join('')}</ul>
<p class="muted">Each currency's line is scaled to its own busiest day: amounts in different currencies share no unit. The table below has the figures.</p>`;
  const volume = `<div class="card"><h2>Volume per day</h2>${lineChart(v.days, series, { title: `Succeeded volume per day and currency, ${v.days[0]} to ${v.days.at(-1)}` })}${legend}</div>`;
  const counts = `<div class="card"><h2>Succeeded and failed per day</h2>${barChart(v.days, ok, bad, { title: `Succeeded and failed payments per day, ${v.days[0]} to ${v.days.at(-1)}` })}
<ul class="legend"><li><span class="key k1"></span>Succeeded</li><li><span class="key k4"></span>Failed attempts</li></ul></div>`;
  const perCurrency = table([
    { label: 'Currency', cell: (c) => `<strong>${esc(c.currency.toUpperCase())}</strong>` },
    { label: 'Volume', num: true, cell: (c) => money(ctx, c.succeeded_amount, c.currency) },
    { label: 'Succeeded', num: true, cell: (c) => String(c.succeeded_count) },
    { label: 'Failed', num: true, cell: (c) => String(c.failed_count) },
    { label: 'Refunded', num: true, cell: (c) => `${money(ctx, c.refunded_amount, c.currency)} <span class="muted">(${c.refunded_count})</span>` },
    { label: 'Net', num: true, cell: (c) => money(ctx, c.succeeded_amount - c.refunded_amount, c.currency) },
  ], sums, { empty: '', caption: 'Totals per currency, last 30 days' });
  return page(ctx, {
    title: 'Overview',
    section: 'overview',
    body: `<p class="muted">Last 30 days, ${esc(v.days[0] ?? '')} to ${esc(v.days.at(-1) ?? '')} (UTC days).</p>${stats}${balance}${volume}${counts}<h2>Per currency</h2>${perCurrency}`,
  });
}
