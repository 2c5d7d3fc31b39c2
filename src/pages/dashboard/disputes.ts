/**
 * Disputes in the dashboard: those awaiting an answer, soonest due first, the whole list, and one
 * dispute's page — its facts, the evidence form (save, or save and send it to Alipay) and accepting
 * the loss — acting through the same core operations as `POST /v1/disputes/:id` and `…/close`.
 */
import { esc } from '../html.js';
import type { DisputeDetail, DisputeRow, KeysetPage } from '../../store/dashboard.js';
import { disputeOpen, disputePastDue, type DisputeStatus, type EvidenceField } from '../../core/model.js';
import { formatMoney } from '../checkout/render.js';
import { actionButton, badge, code, csrfField, facts, money, notice, pager, page, table, when, type Column, type PageContext } from './layout.js';

export const DISPUTE_STATUSES: readonly DisputeStatus[] = [
  'needs_response', 'under_review', 'won', 'lost', 'warning_needs_response', 'warning_under_review', 'warning_closed',
];

/** The evidence a person most often writes, in the form's order; the API takes every Stripe field. */
export const EVIDENCE_FORM_FIELDS: readonly { field: EvidenceField; label: string; hint: string; long?: boolean }[] = [
  { field: 'uncategorized_text', label: 'Your response', hint: 'What happened, in your words: this is what Alipay reads first.', long: true },
  { field: 'product_description', label: 'What was sold', hint: 'The goods or service, as the shopper saw them.', long: true },
  { field: 'shipping_tracking_number', label: 'Tracking number', hint: 'If goods were shipped.' },
  { field: 'customer_email_address', label: "Shopper's email", hint: 'The address the order confirmation went to.' },
  { field: 'refund_refusal_explanation', label: 'Why no refund was given', hint: 'If the shopper asked you for one first.', long: true },
];

/** How long until `due` (or how long ago it passed), in whole units a person reads at a glance. */
export function dueIn(now: number, due: number): string {
  const ms = due - now;
  const abs = Math.abs(ms);
  const [n, unit] = abs >= 2 * 86_400_000 ? [Math.floor(abs / 86_400_000), 'day'] : abs >= 2 * 3_600_000 ? [Math.floor(abs / 3_600_000), 'hour'] : [Math.max(1, Math.floor(abs / 60_000)), 'minute'];
  const span = `${n} ${unit}${n === 1 ? '' : 's'}`;
  return ms >= 0 ? `in ${span}` : `${span} ago`;
}

/** The due date with how far off it is; overdue and the last day stand out. */
function respondBy(ctx: PageContext, now: number, d: DisputeRow): string {
  if (!disputeOpen(d.status) || d.due_by === null) return d.due_by === null ? '—' : `<span class="muted">${when(ctx, d.due_by)}</span>`;
  const tone = disputePastDue(d, now) ? 'badge-bad' : d.due_by - now < 86_400_000 ? 'badge-warn' : 'badge-muted';
  return `${when(ctx, d.due_by)} <span class="badge ${tone}">${esc(dueIn(now, d.due_by))}</span>`;
}

function paymentCell(d: DisputeRow): string {
  return `<a href="/dashboard/payments/${esc(d.payment_intent_id)}">${esc(d.payment_intent_id)}</a>${d.payment_description ? `<br><span class="muted">${esc(d.payment_description)}</span>` : ''}${d.order_reference ? `<br><span class="muted">Order</span> ${esc(d.order_reference)}` : ''}`;
}

function reasonCell(d: DisputeRow): string {
  return `${esc(d.reason.replaceAll('_', ' '))}${d.reason_message ? `<br><span class="muted">${esc(d.reason_message)}</span>` : ''}`;
}

function columns(ctx: PageContext, now: number): Column<DisputeRow>[] {
  return [
    { label: 'Amount', num: true, cell: (d) => `<strong>${money(ctx, d.amount, d.currency)}</strong> <span class="muted">of ${money(ctx, d.payment_amount, d.currency)}</span>` },
    { label: 'Status', cell: (d) => badge(d.status) },
    { label: 'Reason', cell: reasonCell },
    { label: 'Respond by', cell: (d) => respondBy(ctx, now, d) },
    { label: 'Payment', cell: paymentCell },
    { label: 'Opened', cell: (d) => when(ctx, d.created) },
  ];
}

export interface DisputesView {
  now: number;
  form: Record<string, string>;
  awaiting: DisputeRow[];
  page: KeysetPage<DisputeRow>;
  problems: string[];
}

export function disputesPage(ctx: PageContext, v: DisputesView): string {
  const opt = (val: string, label: string) => `<option value="${esc(val)}"${val === (v.form.status ?? '') ? ' selected' : ''}>${esc(label)}</option>`;
  const filters = `<form method="get" action="/dashboard/disputes" class="filters">
<div class="field"><label for="d-status">Status</label><select id="d-status" name="status">${opt('', 'Any status')}${DISPUTE_STATUSES.map((s) => opt(s, s.replaceAll('_', ' ').replace(/^./, (c) => c.toUpperCase()))).join('')}</select></div>
<button type="submit" class="btn btn-primary">Apply</button> <a class="btn btn-secondary" href="/dashboard/disputes">Clear</a></form>`;
  const link = (d: DisputeRow) => `/dashboard/disputes/${d.id}`;
  const awaiting = v.awaiting.length
    ? `<h2>Awaiting your response</h2><p class="muted">Alipay judges a dispute without you once its due date passes: answer with evidence, or accept it.</p>${table(columns(ctx, v.now), v.awaiting, { empty: '', caption: 'Disputes awaiting a response, soonest due first', rowLink: link })}`
    : '<p class="muted">No dispute is waiting for your answer.</p>';
  const problems = v.problems.length ? notice('error', v.problems.map(esc).join('<br>')) : '';
  const list = table(columns(ctx, v.now), v.page.rows, {
    empty: 'No disputes match. A shopper disputes a payment with their wallet; the simulator can open one (POST /simulator/v1/disputes).',
    caption: 'Disputes, newest first', rowLink: link,
  });
  return page(ctx, { title: 'Disputes', section: 'disputes', body: problems + awaiting + `<h2>All disputes</h2>` + filters + list + pager('/dashboard/disputes', v.form, v.page) });
}

export interface DisputeView {
  now: number;
  detail: DisputeDetail;
  /** What the form showed when a save was refused, to show it again. */
  evidence?: Partial<Record<EvidenceField, string>>;
  notice?: { kind: 'ok' | 'error'; text: string };
}

function evidenceForm(ctx: PageContext, v: DisputeView): string {
  const d = v.detail.dispute;
  const values = { ...d.evidence, ...v.evidence };
  const fields = EVIDENCE_FORM_FIELDS.map(({ field, label, hint, long }) => {
    const id = `ev-${field}`;
    const value = esc(values[field] ?? '');
    const input = long ? `<textarea id="${id}" name="${field}" rows="4" maxlength="20000" aria-describedby="${id}-hint">${value}</textarea>`
      : `<input id="${id}" name="${field}" value="${value}" maxlength="5000" aria-describedby="${id}-hint">`;
    return `<div class="field"><label for="${id}">${esc(label)}</label>${input}<p id="${id}-hint" class="muted">${esc(hint)}</p></div>`;
  }).join('');
  const others = Object.entries(d.evidence).filter(([k, val]) => val && !EVIDENCE_FORM_FIELDS.some((f) => f.field === k));
  const apiSet = others.length ? `<p class="muted">Also set through the API: ${others.map(([k]) => code(k)).join(', ')}.</p>` : '';
  return `<form method="post" action="/dashboard/disputes/${esc(d.id)}/evidence" class="card stack">
<h2>Evidence</h2>${csrfField(ctx)}
<p class="muted">Saved evidence stays here until you send it. Sending it gives Alipay your defence: the dispute is then under review until Alipay judges it.</p>
${fields}${apiSet}
<div class="actions"><button type="submit" name="submit" value="0" class="btn btn-secondary">Save</button> <button type="submit" name="submit" value="1" class="btn btn-primary" data-confirm="Send this evidence to Alipay now? You can send more later while the dispute is open.">Save and send to Alipay</button></div>
</form>`;
}

export function disputePage(ctx: PageContext, v: DisputeView): string {
  const d = v.detail.dispute;
  const open = disputeOpen(d.status);
  const head = `<div class="grid">
<div class="stat"><div class="label">Disputed</div><div class="value">${money(ctx, d.amount, d.currency)}</div></div>
<div class="stat"><div class="label">Status</div><div class="value">${badge(d.status)}</div></div>
<div class="stat"><div class="label">Respond by</div><div class="value">${respondBy(ctx, v.now, d)}</div></div>
</div>`;
  const info = `<div class="card">${facts([
    ['Dispute', code(d.id)],
    ['Reason', reasonCell(d)],
    ['Payment', paymentCell(d)],
    ['Payment amount', money(ctx, d.payment_amount, d.currency)],
    ['Charge', code(d.charge_id)],
    ['Evidence sent', d.submission_count ? `${d.submission_count} time${d.submission_count === 1 ? '' : 's'}` : 'Not yet'],
    ['Opened', when(ctx, d.created, 'long')],
    ['Closed', d.closed_at ? when(ctx, d.closed_at, 'long') : '—'],
    ['Alipay\'s judgement', esc(d.judged_result ?? '—')],
    ['Alipay dispute id', code(d.upstream_dispute_id)],
  ])}</div>`;
  const accept = open
    ? `<div class="actions">${actionButton(ctx, `/dashboard/disputes/${d.id}/accept`, 'Accept the dispute', { tone: 'danger', confirm: `Accept the dispute? The ${formatMoney(d.amount, d.currency, ctx.locale)} go back to the shopper and the dispute is lost.` })}</div>`
    : '';
  const events = v.detail.events.length
    ? `<ol class="timeline">${v.detail.events.map((e) => `<li><strong>${esc(e.type)}</strong> <span class="muted">${when(ctx, e.created, 'long')}</span><div class="muted">${esc(e.id)}</div></li>`).join('')}</ol>`
    : '<p class="empty">No events.</p>';
  const shown = v.notice ? notice(v.notice.kind, esc(v.notice.text)) : '';
  return page(ctx, {
    title: `Dispute of ${formatMoney(d.amount, d.currency, ctx.locale)}`,
    section: 'disputes',
    notice: shown,
    body: `<p><a href="/dashboard/disputes">← All disputes</a></p>${head}${accept}${info}${open ? evidenceForm(ctx, v) : ''}<h2>Timeline</h2>${events}`,
  });
}

/** The disputes of one payment, on its page. */
export function paymentDisputes(ctx: PageContext, now: number, disputes: readonly DisputeRow[]): string {
  if (disputes.length === 0) return '';
  return `<h2>Disputes</h2>${table(columns(ctx, now).filter((c) => c.label !== 'Payment'), disputes, { empty: '', rowLink: (d) => `/dashboard/disputes/${d.id}` })}`;
}
