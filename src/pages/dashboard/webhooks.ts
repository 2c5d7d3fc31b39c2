/**
 * The Webhooks section: the account's endpoints with how their deliveries went lately, the form
 * that adds one, and an endpoint's page (its facts, the edit form, disable/enable/delete, and its
 * deliveries with every attempt). The signing secret is on the page only once: in the answer to
 * the form that created the endpoint.
 */
import { esc } from '../html.js';
import { EVENT_TYPES } from '../../core/events.js';
import type { WebhookAttemptRecord, WebhookDeliveryRecord, WebhookEndpointRecord } from '../../core/model.js';
import type { EndpointStats, KeysetPage } from '../../store/dashboard.js';
import {
  actionButton, badge, code, csrfField, facts, notice, pager, page, table, when, type PageContext,
} from './layout.js';

/** What the endpoint form shows: as stored, or as typed when it was refused. */
export interface EndpointForm {
  url: string;
  description: string;
  events: string[];
}

export const EMPTY_ENDPOINT_FORM: EndpointForm = { url: '', description: '', events: ['*'] };

export function endpointForm(w: WebhookEndpointRecord): EndpointForm {
  return { url: w.url, description: w.description ?? '', events: w.enabled_events };
}

/** One element per cell, so a cell on a phone (a flex row) keeps its lines together. */
function cell(html: string): string {
  return `<div>${html}</div>`;
}

export function eventsSummary(events: readonly string[]): string {
  if (events.includes('*')) return 'All events';
  const shown = events.slice(0, 3).map((e) => code(e)).join(' ');
  return events.length > 3 ? `${shown} <span class="muted">and ${events.length - 3} more</span>` : shown;
}

export function successRate(attempts: number, ok: number): string {
  if (attempts === 0) return '<span class="muted">No attempts</span>';
  const pct = Math.floor((ok / attempts) * 1000) / 10;
  return `<strong>${esc(pct)}%</strong> <span class="muted">of ${esc(attempts)} attempt${attempts === 1 ? '' : 's'}</span>`;
}

function endpointStatus(w: WebhookEndpointRecord): string {
  return badge(w.status) + (w.status === 'disabled' && w.disabled_reason ? ` <span class="muted">${esc(w.disabled_reason)}</span>` : '');
}

/** The form that adds an endpoint or edits one; `error` is shown above it and marks the fields. */
function endpointFormHtml(ctx: PageContext, o: { action: string; idPrefix: string; form: EndpointForm; submit: string; title: string; error?: string; hint?: string }): string {
  const f = o.form;
  const all = f.events.includes('*');
  const errId = `${o.idPrefix}-error`;
  const invalid = o.error ? ` aria-invalid="true" aria-describedby="${errId}"` : '';
  const box = (value: string, label: string, i: number) => {
    const id = `${o.idPrefix}-ev-${i}`;
    const checked = value === '*' ? all : !all && f.events.includes(value);
    return `<label for="${id}"><input type="checkbox" id="${id}" name="enabled_events[]" value="${esc(value)}"${checked ? ' checked' : ''}>${label}</label>`;
  };
  return `<form method="post" action="${esc(o.action)}" class="card stack">
<h2>${esc(o.title)}</h2>
${o.error ? `<div class="notice notice-error" role="alert" id="${errId}">${esc(o.error)}</div>` : ''}
${o.hint ? `<p class="muted">${esc(o.hint)}</p>` : ''}
${csrfField(ctx)}
<div class="field"><label for="${o.idPrefix}-url">Endpoint URL</label><input id="${o.idPrefix}-url" name="url" type="url" class="wide" required value="${esc(f.url)}" placeholder="https://shop.example/webhooks" autocomplete="off"${invalid}></div>
<div class="field"><label for="${o.idPrefix}-description">Description <span class="muted">(optional)</span></label><input id="${o.idPrefix}-description" name="description" class="wide" maxlength="5000" value="${esc(f.description)}"></div>
<fieldset><legend>Events to send</legend>
<div class="checks">${box('*', '<strong>All events</strong>', 0)}</div>
<p class="muted">Or only these:</p>
<div class="checks">${EVENT_TYPES.map((t, i) => box(t, `<code>${esc(t)}</code>`, i + 1)).join('')}</div>
</fieldset>
<div><button type="submit" class="btn btn-primary">${esc(o.submit)}</button></div>
</form>`;
}

export interface WebhooksView {
  stats: EndpointStats[];
  form: EndpointForm;
  /** Why the add form was refused. */
  error?: string;
  /** What just happened (an endpoint deleted). */
  done?: string;
  /** Why the page asked for is not shown (an endpoint that is not there). */
  problem?: string;
}

export function webhooksPage(ctx: PageContext, v: WebhooksView): string {
  const list = table([
    { label: 'Endpoint', cell: (s) => cell(`<a href="/dashboard/webhooks/${esc(s.endpoint.id)}">${esc(s.endpoint.url)}</a>${s.endpoint.description ? `<br><span class="muted">${esc(s.endpoint.description)}</span>` : ''}`) },
    { label: 'Status', cell: (s) => cell(endpointStatus(s.endpoint)) },
    { label: 'Events', cell: (s) => cell(eventsSummary(s.endpoint.enabled_events)) },
    { label: 'Success, 7 days', cell: (s) => cell(successRate(s.attempts, s.attempts_ok)) },
    { label: 'Deliveries, 7 days', cell: (s) => cell(`${esc(s.succeeded)} succeeded<br>${esc(s.failed)} failed<br>${esc(s.pending)} pending`) },
    { label: 'Last attempt', cell: (s) => cell(when(ctx, s.last_attempt_at)) },
  ], v.stats.filter((s) => !s.endpoint.deleted), {
    empty: `No webhook endpoints in ${ctx.livemode ? 'live' : 'test'} mode yet. Add one below: every event it listens for is POSTed to it, signed.`,
    caption: 'Webhook endpoints',
    rowLink: (s) => `/dashboard/webhooks/${s.endpoint.id}`,
  });
  const form = endpointFormHtml(ctx, {
    action: '/dashboard/webhooks', idPrefix: 'new', form: v.form, submit: 'Add endpoint', title: 'Add an endpoint', error: v.error,
    hint: 'Events are POSTed as JSON with a Stripe-Signature header. The signing secret is shown once, right after you add the endpoint.',
  });
  return page(ctx, {
    title: 'Webhooks',
    section: 'webhooks',
    notice: (v.problem ? notice('error', esc(v.problem)) : '') + (v.done ? notice('ok', esc(v.done)) : ''),
    body: `<p class="muted">Success rate: the share of delivery attempts in the last 7 days answered with a 2xx status. <a href="/dashboard/events">Event log</a></p>${list}${form}`,
  });
}

export type DeliveryRow = WebhookDeliveryRecord & { event_type: string; attempt_log: WebhookAttemptRecord[] };

/** A delivery's attempts: when, what came back, how long it took. */
export function attemptList(ctx: PageContext, d: Pick<WebhookDeliveryRecord, 'status' | 'next_attempt_at'> & { attempt_log: WebhookAttemptRecord[] }): string {
  const items = d.attempt_log.map((a) => {
    const answer = a.http_status !== null
      ? badge(a.http_status >= 200 && a.http_status < 300 ? 'succeeded' : 'failed', `HTTP ${a.http_status}`)
      : `${badge('failed', 'No answer')} <span class="muted">${esc(a.error ?? '')}</span>`;
    return `<li>#${esc(a.attempt)} ${when(ctx, a.started, 'long')} · ${answer} · <span class="num">${esc(a.latency_ms)} ms</span></li>`;
  }).join('');
  const next = d.status === 'pending' && d.next_attempt_at !== null ? `<li class="muted">Next attempt ${when(ctx, d.next_attempt_at, 'long')}</li>` : '';
  if (!items && !next) return '<span class="muted">Not attempted yet</span>';
  return `<ul class="attempts">${items}${next}</ul>`;
}

export interface EndpointView {
  endpoint: WebhookEndpointRecord;
  stats?: EndpointStats;
  deliveries: KeysetPage<DeliveryRow>;
  /** The edit form as typed, after a refusal. */
  form?: EndpointForm;
  formError?: string;
  notice?: { kind: 'ok' | 'error'; text: string };
  /** Only in the answer to the form that created the endpoint. */
  secret?: string;
}

export function endpointPage(ctx: PageContext, v: EndpointView): string {
  const w = v.endpoint;
  const base = `/dashboard/webhooks/${w.id}`;
  const notices = [
    v.secret ? notice('ok', `<p><strong>Endpoint added.</strong> Its signing secret is shown only now: copy it into your server's configuration to check the Stripe-Signature header of every webhook.</p>
<div class="secret"><code id="endpoint-secret">${esc(v.secret)}</code><button type="button" class="btn btn-secondary" data-copy="endpoint-secret">Copy</button></div>`) : '',
    v.notice ? notice(v.notice.kind, esc(v.notice.text)) : '',
  ].join('');
  const toggle = w.status === 'enabled'
    ? actionButton(ctx, `${base}/disable`, 'Disable', { confirm: 'Disable this endpoint? Nothing is sent to it until it is enabled again; its pending deliveries are given up.' })
    : actionButton(ctx, `${base}/enable`, 'Enable');
  const actions = `<div class="actions">${toggle}${actionButton(ctx, `${base}/delete`, 'Delete endpoint', { tone: 'danger', confirm: 'Delete this endpoint? Nothing is sent to it any more and its pending deliveries are given up. This cannot be undone.' })}</div>`;
  const s = v.stats;
  const info = `<div class="card">${facts([
    ['URL', code(w.url)],
    ['Status', endpointStatus(w)],
    ['Description', esc(w.description ?? '—')],
    ['Events', w.enabled_events.includes('*') ? 'All events' : w.enabled_events.map((e) => code(e)).join(' ')],
    ['Success, 7 days', s ? successRate(s.attempts, s.attempts_ok) : '—'],
    ['Deliveries, 7 days', s ? `${esc(s.succeeded)} succeeded, ${esc(s.failed)} failed, ${esc(s.pending)} pending` : '—'],
    ['Failing since', when(ctx, w.failing_since)],
    ['API version', esc(w.api_version ?? 'default')],
    ['Created', when(ctx, w.created, 'long')],
    ['Endpoint', code(w.id)],
  ])}</div>`;
  const edit = endpointFormHtml(ctx, { action: base, idPrefix: 'edit', form: v.form ?? endpointForm(w), submit: 'Save changes', title: 'Edit endpoint', error: v.formError });
  const deliveries = table<DeliveryRow>([
    { label: 'Event', cell: (d) => cell(`<a href="/dashboard/events/${esc(d.event_id)}">${esc(d.event_type || d.event_id)}</a><br><span class="muted">${esc(d.id)}</span>`) },
    { label: 'Status', cell: (d) => cell(badge(d.status)) },
    { label: 'Created', cell: (d) => cell(when(ctx, d.created, 'long')) },
    { label: 'Attempts', cell: (d) => cell(attemptList(ctx, d)) },
  ], v.deliveries.rows, { empty: 'Nothing was sent to this endpoint yet.', caption: 'Deliveries to this endpoint, newest first' });
  return page(ctx, {
    title: 'Webhook endpoint',
    section: 'webhooks',
    notice: notices,
    body: `<p><a href="/dashboard/webhooks">← All endpoints</a></p>${actions}${info}${edit}<h2 id="deliveries">Deliveries</h2>${deliveries}${pager(base, {}, v.deliveries)}`,
  });
}
