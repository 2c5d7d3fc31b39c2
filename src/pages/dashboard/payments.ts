/** The Payments list and a payment's detail page. */
import { esc } from '../html.js';
import { formatMoney } from '../checkout/render.js';
import { WALLETS, currencyInfo } from '../../core/money.js';
import type { PaymentDetail, PaymentFilter, PaymentRow, KeysetPage, DeliveryWithAttempts } from '../../store/dashboard.js';
import { SETTLE } from '../../core/settlement/records.js';
import {
  actionButton, badge, code, csrfField, facts, money, pager, page, table, when, type Column, type PageContext,
} from './layout.js';
import { METHOD_LABEL, SOURCE_LABEL } from './words.js';
import { attemptList } from './webhooks.js';
import { paymentDisputes } from './disputes.js';

export const PAYMENT_STATUSES = ['succeeded', 'requires_action', 'requires_payment_method', 'requires_confirmation', 'processing', 'canceled'] as const;

export function walletName(code: string | null): string | null {
  if (!code || code === 'CONNECT_WALLET') return null;
  return (WALLETS as Record<string, { name: string } | undefined>)[code]?.name ?? code;
}

function methodCell(p: Pick<PaymentRow, 'method' | 'wallet'>): string {
  const method = p.method ? (METHOD_LABEL[p.method] ?? p.method) : null;
  const wallet = walletName(p.wallet);
  if (!method && !wallet) return '<span class="muted">—</span>';
  return `${esc(method ?? '')}${wallet && wallet !== method ? `<br><span class="muted">${esc(wallet)}</span>` : ''}`;
}

function refundState(p: Pick<PaymentRow, 'amount_refunded' | 'amount_received'>): string {
  if (p.amount_refunded <= 0) return '';
  return ' ' + badge(p.amount_refunded >= p.amount_received ? 'refunded' : 'partially_refunded');
}

function references(p: PaymentRow): string {
  const parts: string[] = [];
  if (p.description) parts.push(esc(p.description));
  if (p.order_reference) parts.push(`<span class="muted">Order</span> ${esc(p.order_reference)}`);
  const meta = Object.entries(p.metadata).slice(0, 3).map(([k, v]) => `<span class="muted">${esc(k)}</span> ${esc(v)}`);
  parts.push(...meta);
  return parts.length ? parts.join('<br>') : '<span class="muted">—</span>';
}

/** The amount in one piece, and its ISO code beside it when the symbol alone does not say which currency ($, ¥). */
function amountCell(ctx: PageContext, amount: number, currency: string): string {
  const text = money(ctx, amount, currency);
  const code = currency.toUpperCase();
  return `<strong class="nowrap">${text}</strong>${text.includes(code) ? '' : ` <span class="muted">${esc(code)}</span>`}`;
}

function columns(ctx: PageContext): Column<PaymentRow>[] {
  return [
    { label: 'Amount', num: true, cell: (p) => amountCell(ctx, p.amount, p.currency) },
    { label: 'Status', cell: (p) => badge(p.status) + refundState(p) },
    { label: 'Method', cell: methodCell },
    { label: 'References', cell: references },
    { label: 'Payment', cell: (p) => `<a class="id" href="/dashboard/payments/${esc(p.id)}">${esc(p.id)}</a><br><span class="muted">${esc(SOURCE_LABEL[p.source] ?? p.source)}${p.tp_reference ? ` ${esc(p.tp_reference)}` : ''}</span>` },
    { label: 'Created', cell: (p) => when(ctx, p.created) },
  ];
}

export interface PaymentsListView {
  filter: PaymentFilter;
  /** The filter as the form shows it (dates as typed). */
  form: Record<string, string>;
  currencies: string[];
  page: KeysetPage<PaymentRow>;
  problems: string[];
}

function select(name: string, label: string, value: string, options: readonly (readonly [string, string])[]): string {
  const opts = options.map(([v, l]) => `<option value="${esc(v)}"${v === value ? ' selected' : ''}>${esc(l)}</option>`).join('');
  return `<div class="field"><label for="f-${name}">${esc(label)}</label><select id="f-${name}" name="${name}">${opts}</select></div>`;
}

export function paymentsPage(ctx: PageContext, v: PaymentsListView): string {
  const f = v.form;
  const filters = `<form method="get" action="/dashboard/payments" class="filters" role="search">
<div class="field field-grow"><label for="f-q">Search by id, order reference or metadata value</label><input id="f-q" name="q" type="search" value="${esc(f.q ?? '')}" placeholder="pi_…, ORD-1001, A-17"></div>
${select('status', 'Status', f.status ?? '', [['', 'Any status'], ...PAYMENT_STATUSES.map((s) => [s, badgeText(s)] as const)])}
${select('method', 'Method', f.method ?? '', [['', 'Any method'], ['alipay', 'Alipay'], ['alipayplus', 'Alipay+']])}
${select('currency', 'Currency', f.currency ?? '', [['', 'Any currency'], ...v.currencies.map((c) => [c, c.toUpperCase()] as const)])}
<div class="field"><label for="f-from">From</label><input id="f-from" name="from" type="date" value="${esc(f.from ?? '')}"></div>
<div class="field"><label for="f-to">To</label><input id="f-to" name="to" type="date" value="${esc(f.to ?? '')}"></div>
<button type="submit" class="btn btn-primary">Apply</button> <a class="btn btn-secondary" href="/dashboard/payments">Clear</a>
</form>`;
  const problems = v.problems.length ? `<div class="notice notice-error" role="alert">${v.problems.map(esc).join('<br>')}</div>` : '';
  const list = table(columns(ctx), v.page.rows, {
    empty: Object.values(f).some(Boolean) ? 'No payment matches these filters.' : 'No payments yet. Payments made through the API, the hosted checkout or the Trust Payments door appear here.',
    caption: 'Payments, newest first',
    rowLink: (p) => `/dashboard/payments/${p.id}`,
  });
  return page(ctx, {
    title: 'Payments',
    section: 'payments',
    body: filters + problems + list + pager('/dashboard/payments', f, v.page),
  });
}

function badgeText(status: string): string {
  return ({ requires_payment_method: 'Incomplete', requires_action: 'Awaiting shopper', requires_confirmation: 'Not confirmed' } as Record<string, string>)[status]
    ?? status.replace(/^./, (c) => c.toUpperCase());
}

/** A minor-unit amount as the refund form's field shows it ("12.50", "3200"). */
export function majorUnits(amount: number, currency: string): string {
  const exp = currencyInfo(currency)?.exponent ?? 2;
  if (exp === 0) return String(amount);
  const s = String(amount).padStart(exp + 1, '0');
  return `${s.slice(0, -exp)}.${s.slice(-exp)}`;
}

/** What a person typed in the refund form, back to minor units; undefined when it is not an amount. */
export function parseMajorUnits(text: string, currency: string): number | undefined {
  const exp = currencyInfo(currency)?.exponent ?? 2;
  const m = /^\s*(\d{1,13})(?:[.,](\d+))?\s*$/.exec(text.replaceAll(/[\s\u00a0']/g, ''));
  if (!m) return undefined;
  const frac = m[2] ?? '';
  if (frac.length > exp) return undefined;
  return Number(m[1]) * 10 ** exp + Number(frac.padEnd(exp, '0') || '0');
}

/** One request to Antom, as store/upstream-calls.ts records it. */
export interface UpstreamCallView {
  api: string;
  started: number;
  reference: string;
  outcome: string;
  result_code: string | null;
  error: string | null;
  latency_ms: number;
}

export interface PaymentDetailView {
  detail: PaymentDetail;
  calls: UpstreamCallView[];
  /** Set after a refund or cancel: what happened, or why it was refused. */
  notice?: { kind: 'ok' | 'error'; text: string };
  /** The refund form's values after a refusal, so nothing typed is lost. */
  refundForm?: { amount: string; reason: string };
  /** One-use token for the refund form: a double submit refunds once. */
  formToken: string;
  canCancel: boolean;
  /** The time the page is rendered at (how soon a dispute is due). */
  now: number;
}

function deliveryLines(ctx: PageContext, deliveries: DeliveryWithAttempts[]): string {
  return deliveries.map((d) => `<div><span class="muted">Webhook to</span> ${code(d.endpoint_url)} ${badge(d.status)} <a href="/dashboard/webhooks/${esc(d.endpoint_id)}">endpoint</a>${attemptList(ctx, d)}</div>`).join('');
}

function timeline(ctx: PageContext, d: PaymentDetail): string {
  if (d.events.length === 0) return '<p class="empty">No events.</p>';
  return `<ol class="timeline">${d.events.map((e) => `<li><strong>${esc(e.type)}</strong> <span class="muted">${when(ctx, e.created, 'long')}</span>
<div class="muted">${esc(e.id)}${e.request_id ? ` · request ${esc(e.request_id)}` : ' · from Antom or background work'}</div>
${deliveryLines(ctx, e.deliveries)}
<details><summary>Event data</summary><pre>${esc(JSON.stringify(e.data, null, 2))}</pre></details></li>`).join('')}</ol>`;
}

function refundForm(ctx: PageContext, v: PaymentDetailView): string {
  const { intent, charge } = v.detail;
  if (intent.status !== 'succeeded' || !charge) return '';
  const reserved = v.detail.refunds.filter((r) => r.status === 'pending' || r.status === 'succeeded').reduce((s, r) => s + r.amount, 0);
  const remaining = charge.amount - reserved;
  if (remaining <= 0) return `<p class="muted">Refunded in full.</p>`;
  const amount = v.refundForm?.amount ?? majorUnits(remaining, intent.currency);
  const reason = v.refundForm?.reason ?? '';
  const reasons: [string, string][] = [['', 'No reason given'], ['requested_by_customer', 'Requested by the customer'], ['duplicate', 'Duplicate payment'], ['fraudulent', 'Fraudulent']];
  return `<form method="post" action="/dashboard/payments/${esc(intent.id)}/refund" class="card stack" data-confirm="Refund this amount to the shopper's wallet?">
<h2>Refund</h2>
${csrfField(ctx)}<input type="hidden" name="form_token" value="${esc(v.formToken)}">
<p class="muted">Up to ${money(ctx, remaining, intent.currency)} can still be refunded. The refund goes back to the shopper's wallet through Antom.</p>
<div class="field"><label for="refund-amount">Amount (${esc(intent.currency.toUpperCase())})</label><input id="refund-amount" name="amount" inputmode="decimal" value="${esc(amount)}" required aria-describedby="refund-hint"></div>
<p id="refund-hint" class="muted">The full remaining amount is filled in; lower it for a partial refund.</p>
<div class="field"><label for="refund-reason">Reason</label><select id="refund-reason" name="reason">${reasons.map(([val, l]) => `<option value="${val}"${val === reason ? ' selected' : ''}>${esc(l)}</option>`).join('')}</select></div>
<div><button type="submit" class="btn btn-primary">Refund</button></div>
</form>`;
}

function upstream(ctx: PageContext, v: PaymentDetailView): string {
  const d = v.detail;
  const attempts = table([
    { label: 'Request (paymentRequestId)', cell: (a) => code(a.id) },
    { label: 'Sent', cell: (a) => when(ctx, a.created, 'long') },
    { label: 'Method', cell: (a) => esc(walletName(a.wallet) ?? walletName(a.upstream_method) ?? a.upstream_method) + ` <span class="muted">${esc(a.env.terminal_type)}</span>` },
    { label: 'Status', cell: (a) => badge(a.status === 'redirected' ? 'requires_action' : a.status, a.status) },
    { label: 'Antom payment', cell: (a) => code(a.upstream_payment_id) },
    { label: 'Failure', cell: (a) => (a.failure_code ? `${code(a.failure_code)} ${esc(a.failure_message ?? '')}` : '—') },
  ], d.attempts, { empty: 'No request was sent to Antom.' });
  const calls = table([
    { label: 'Call', cell: (c) => `<strong>${esc(c.api)}</strong>` },
    { label: 'When', cell: (c) => when(ctx, c.started, 'long') },
    { label: 'Request', cell: (c) => code(c.reference) },
    { label: 'Outcome', cell: (c) => `${esc(c.outcome)}${c.result_code ? ` ${code(c.result_code)}` : ''}${c.error ? ` <span class="muted">${esc(c.error)}</span>` : ''}` },
    { label: 'Latency', num: true, cell: (c) => `${c.latency_ms} ms` },
  ], v.calls, { empty: 'No calls to Antom recorded.' });
  const notes = table([
    { label: 'Received', cell: (n) => when(ctx, n.received, 'long') },
    { label: 'Type', cell: (n) => esc(n.notify_type ?? '—') },
    { label: 'Result', cell: (n) => code(n.result_code) },
    { label: 'Verdict', cell: (n) => badge(n.verdict) + (n.reason ? ` <span class="muted">${esc(n.reason)}</span>` : '') },
  ], d.notifications, { empty: 'No notification from Antom about this payment.' });
  return `<h2>Upstream</h2><h3>Payment requests</h3>${attempts}<h3>Calls to Antom</h3>${calls}<h3>Notifications from Antom</h3>${notes}`;
}

function trustPayments(ctx: PageContext, d: PaymentDetail): string {
  if (d.tp.transactions.length === 0) return '';
  const settle = (n: number) => ({ [SETTLE.pending]: 'pending settlement (0)', [SETTLE.pendingManual]: 'pending, manual (1)', [SETTLE.suspended]: 'suspended (2)', [SETTLE.cancelled]: 'cancelled (3)', [SETTLE.inProgress]: 'awaiting the shopper (10)', [SETTLE.settled]: 'settled (100)' } as Record<number, string>)[n] ?? String(n);
  const tx = table([
    { label: 'Transaction reference', cell: (t) => code(t.reference) },
    { label: 'Type', cell: (t) => esc(t.request_type) },
    { label: 'Amount', num: true, cell: (t) => money(ctx, t.base_amount, t.currency) },
    { label: 'settlestatus', cell: (t) => esc(settle(t.settle_status)) },
    { label: 'errorcode', cell: (t) => code(t.error_code) },
    { label: 'Order reference', cell: (t) => esc(t.order_reference ?? '—') },
    { label: 'Site', cell: (t) => code(t.site_reference) },
  ], d.tp.transactions, { empty: '' });
  const notes = table([
    { label: 'Notification', cell: (n) => code(n.notification_reference) },
    { label: 'To', cell: (n) => code(n.url) },
    { label: 'Status', cell: (n) => badge(n.status) },
    { label: 'Attempts', num: true, cell: (n) => String(n.attempts) },
    { label: 'Last', cell: (n) => `${when(ctx, n.last_attempt_at)}${n.last_status ? ` HTTP ${n.last_status}` : ''}` },
  ], d.tp.notifications, { empty: 'No URL notifications.' });
  return `<h2>Trust Payments</h2>${tx}<h3>URL notifications</h3>${notes}`;
}

export function paymentPage(ctx: PageContext, v: PaymentDetailView): string {
  const { payment: p, intent, charge, refunds } = v.detail;
  const refunded = p.amount_refunded;
  const head = `<div class="grid">
<div class="stat"><div class="label">Amount</div><div class="value">${money(ctx, p.amount, p.currency)}</div></div>
<div class="stat"><div class="label">Received</div><div class="value">${money(ctx, p.amount_received, p.currency)}</div></div>
<div class="stat"><div class="label">Refunded</div><div class="value">${money(ctx, refunded, p.currency)}</div></div>
<div class="stat"><div class="label">Status</div><div class="value">${badge(p.status)}${refundState({ amount_refunded: refunded, amount_received: p.amount_received })}</div></div>
</div>`;
  const metadata = Object.entries(intent.metadata);
  const info = `<div class="card">${facts([
    ['Payment', code(intent.id)],
    ['Created', when(ctx, intent.created, 'long')],
    ['Came in through', esc(SOURCE_LABEL[p.source] ?? p.source) + (v.detail.checkout_session_id ? ` ${code(v.detail.checkout_session_id)}` : '')],
    ['Method', methodCell(p)],
    ['Description', esc(intent.description ?? '—')],
    ['Order reference', esc(p.order_reference ?? '—')],
    ['Metadata', metadata.length ? metadata.map(([k, val]) => `<span class="muted">${esc(k)}</span> ${esc(val)}`).join('<br>') : '—'],
    ['Charge', charge ? `${code(charge.id)} ${badge(charge.status)}` : '—'],
    ['Receipt email', esc(intent.receipt_email ?? '—')],
    ['Last error', intent.last_payment_error ? `${code(intent.last_payment_error.code)} ${esc(intent.last_payment_error.message)}` : '—'],
    ['Canceled', intent.canceled_at ? `${when(ctx, intent.canceled_at)} ${esc(intent.cancellation_reason ?? '')}` : '—'],
    ['Livemode', intent.livemode ? 'live' : 'test'],
  ])}</div>`;
  const actions = v.canCancel
    ? `<div class="actions">${actionButton(ctx, `/dashboard/payments/${intent.id}/cancel`, 'Cancel payment', { tone: 'danger', confirm: 'Cancel this payment? The shopper will no longer be able to pay it.' })}</div>`
    : '';
  const refundRows = table([
    { label: 'Refund', cell: (r) => code(r.id) },
    { label: 'Amount', num: true, cell: (r) => money(ctx, r.amount, r.currency) },
    { label: 'Status', cell: (r) => badge(r.status) + (r.failure_reason ? ` <span class="muted">${esc(r.failure_reason)}</span>` : '') },
    { label: 'Reason', cell: (r) => esc(r.reason?.replaceAll('_', ' ') ?? '—') },
    { label: 'Created', cell: (r) => when(ctx, r.created) },
  ], refunds, { empty: 'No refunds.' });
  const notice = v.notice ? `<div class="notice notice-${v.notice.kind}" role="${v.notice.kind === 'error' ? 'alert' : 'status'}">${esc(v.notice.text)}</div>` : '';
  return page(ctx, {
    title: `${formatTitle(ctx, p)}`,
    section: 'payments',
    notice,
    body: `<p><a href="/dashboard/payments">← All payments</a></p>${head}${actions}${info}${refundForm(ctx, v)}<h2>Refunds</h2>${refundRows}${paymentDisputes(ctx, v.now, v.detail.disputes.map((d) => ({ ...d, payment_description: intent.description, payment_amount: intent.amount, order_reference: p.order_reference })))}<h2>Timeline</h2>${timeline(ctx, v.detail)}${upstream(ctx, v)}${trustPayments(ctx, v.detail)}`,
  });
}

function formatTitle(ctx: PageContext, p: PaymentRow): string {
  return `Payment of ${formatMoney(p.amount, p.currency, ctx.locale)}`;
}
