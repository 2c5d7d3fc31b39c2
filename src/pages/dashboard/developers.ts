/**
 * The Developers section: API keys (rolled here, a new key shown once), where the gateway's doors
 * are and a first request, the event log and an event's page (its JSON, where it was sent, and
 * the form that sends it again), and the Trust Payments setup — sites, webservices users and
 * URL-notification rules.
 */
import { esc } from '../html.js';
import { eventPublic, type EventRecord, type WebhookEndpointRecord } from '../../core/model.js';
import type { DeliveryWithAttempts } from '../../core/webhooks/read.js';
import type { NotificationTrigger, TpNotificationRuleRecord, TpSiteRecord } from '../../core/settlement/records.js';
import type { KeysetPage } from '../../store/dashboard.js';
import {
  actionButton, badge, code, csrfField, facts, notice, pager, page, table, when, type PageContext,
} from './layout.js';
import { attemptList } from './webhooks.js';
import { PROHIBITED_BUSINESSES_SOURCE, prohibitedMessage, type BusinessProfile } from '../../core/catalog/prohibited-businesses.js';

function cell(html: string): string {
  return `<div>${html}</div>`;
}

function secretNotice(intro: string, id: string, secret: string): string {
  return notice('ok', `<p>${intro}</p><div class="secret"><code id="${esc(id)}">${esc(secret)}</code><button type="button" class="btn btn-secondary" data-copy="${esc(id)}">Copy</button></div>`);
}

/** An object id, linked to its page when the dashboard has one. */
function objectLink(id: string): string {
  if (id.startsWith('pi_')) return `<a href="/dashboard/payments/${esc(id)}">${code(id)}</a>`;
  if (id.startsWith('we_')) return `<a href="/dashboard/webhooks/${esc(id)}">${code(id)}</a>`;
  return code(id);
}

function modeName(ctx: PageContext): string {
  return ctx.livemode ? 'live' : 'test';
}

// ---------------------------------------------------------------------------------------------
// Developers: keys, URLs, a first request

export interface ApiKeyView {
  kind: 'secret' | 'publishable';
  display: string;
  created: number;
}

export interface DevelopersView {
  keys: ApiKeyView[];
  publicUrl: string;
  notifyUrl: string;
  simulator: boolean;
  /** A key just rolled: shown this once. */
  rolled?: { kind: 'secret' | 'publishable'; key: string };
  error?: string;
  /** The account's business profile, and what the form last said (core/catalog/prohibited-businesses.ts). */
  business: BusinessProfile;
  businessForm?: { mcc: string; category: string };
  businessError?: string;
  businessSaved?: boolean;
}

function businessSection(ctx: PageContext, v: DevelopersView): string {
  const f = v.businessForm ?? { mcc: v.business.mcc ?? '', category: v.business.category ?? '' };
  const refused = prohibitedMessage(v.business);
  const invalid = v.businessError ? ' aria-invalid="true" aria-describedby="business-error"' : '';
  const state = refused ? notice('error', `<strong>Alipay and Alipay+ payments are refused.</strong> ${esc(refused)}`)
    : v.businessSaved ? notice('ok', 'Business profile saved. Alipay and Alipay+ may be used.') : '';
  return `<h2 id="business">Business profile</h2>
<p class="muted">What the business sells, as a merchant category code (MCC, four digits) or a category. Alipay does not serve businesses on its <a href="${esc(PROHIBITED_BUSINESSES_SOURCE.rule)}">prohibited list</a>: for those, every Alipay and Alipay+ payment is refused before it reaches Alipay. The same for both modes; the CLI sets it too (<code>opencashier business set</code>).</p>
${state}
<form method="post" action="/dashboard/developers/business" class="card stack">
${v.businessError ? `<div class="notice notice-error" role="alert" id="business-error">${esc(v.businessError)}</div>` : ''}
${csrfField(ctx)}
<div class="field"><label for="business-mcc">Merchant category code <span class="muted">(optional)</span></label><input id="business-mcc" name="mcc" inputmode="numeric" maxlength="4" value="${esc(f.mcc)}" placeholder="5411"${invalid}></div>
<div class="field"><label for="business-category">Category <span class="muted">(optional)</span></label><input id="business-category" name="category" class="wide" maxlength="200" value="${esc(f.category)}" placeholder="Grocery"></div>
<div><button type="submit" class="btn btn-primary">Save business profile</button></div>
</form>`;
}

const KIND_LABEL = { secret: 'Secret key', publishable: 'Publishable key' } as const;

export function developersPage(ctx: PageContext, v: DevelopersView): string {
  const u = v.publicUrl;
  const kinds = ['secret', 'publishable'] as const;
  const rows = kinds.map((kind) => ({ kind, key: v.keys.find((k) => k.kind === kind) }));
  const keys = table([
    { label: 'Key', cell: (r) => cell(`<strong>${esc(KIND_LABEL[r.kind])}</strong>`) },
    { label: 'Value', cell: (r) => cell(r.key ? code(r.key.display) : '<span class="muted">None yet</span>') },
    { label: 'Created', cell: (r) => cell(when(ctx, r.key?.created)) },
    {
      label: 'Action',
      cell: (r) => cell(actionButton(ctx, '/dashboard/developers/keys/roll', r.key ? 'Roll key' : 'Create key', {
        fields: { kind: r.kind },
        confirm: r.kind === 'secret'
          ? `Roll the ${modeName(ctx)} secret key? The current one stops working at once: every server using it needs the new one.`
          : `Roll the ${modeName(ctx)} publishable key? The current one stops working at once: update your pages.`,
      })),
    },
  ], rows, { empty: '', caption: `API keys, ${modeName(ctx)} mode` });
  const shown = v.rolled
    ? secretNotice(`<strong>New ${esc(KIND_LABEL[v.rolled.kind].toLowerCase())}.</strong> It is shown only now; the previous one no longer works.`, 'new-key', v.rolled.key)
    : '';
  const secretDisplay = rows[0]?.key?.display ?? `sk_${modeName(ctx)}_…`;
  const curlKey = v.rolled?.kind === 'secret' ? v.rolled.key : secretDisplay;
  const where = `<div class="card">${facts([
    ['API base URL', code(`${u}/v1`)],
    ['Antom notification URL', `${code(v.notifyUrl)}<br><span class="muted">Antom's paymentNotifyUrl: set it in Antom's portal.</span>`],
    ['Trust Payments doors', `${code(`${u}/json/`)} ${code(`${u}/xml/`)}`],
    ['Errors reference', `<a href="/docs/errors">${esc(`${u}/docs/errors`)}</a>`],
    ...(v.simulator ? [['Antom simulator', `on: pay requests go to ${code(`${u}/ams/api/v1/payments/…`)}; finish a payment from a script with ${code(`POST ${u}/simulator/v1/complete`)}`] as [string, string]] : []),
  ])}</div>`;
  const curl = `<pre>curl ${esc(u)}/v1/payment_intents -u ${esc(curlKey)}: \\
  -H 'Content-Type: application/json' -d '{
    "amount": 20, "currency": "CNY", "confirm": true,
    "payment_method_data": {"type": "alipay"},
    "payment_method_options": {"alipay": {"terminal_type": "WEB"}},
    "return_url": "https://example.com/done"}'</pre>`;
  return page(ctx, {
    title: 'Developers',
    section: 'developers',
    notice: shown + (v.error ? notice('error', esc(v.error)) : ''),
    body: `<nav class="actions" aria-label="Developers"><a class="btn btn-secondary" href="/dashboard/events">Event log</a><a class="btn btn-secondary" href="/dashboard/webhooks">Webhooks</a><a class="btn btn-secondary" href="/dashboard/trust-payments">Trust Payments</a></nav>
<h2>API keys</h2>
<p class="muted">Secret keys are kept only as a hash: the full key is shown once, when it is made. Point the official <code>stripe</code> SDK at ${code(`${u}/v1`)} with the secret key.</p>
${keys}
<h2>Where things are</h2>${where}
${businessSection(ctx, v)}
<h2>Take a first payment</h2>
<p class="muted">${v.rolled?.kind === 'secret' ? 'With your new secret key:' : `Put your full secret key in place of ${code(secretDisplay)}:`}</p>
${curl}
<p>Open <code>next_action.redirect_to_url.url</code> from the answer${v.simulator ? ': the simulator shows the wallet\'s cashier with a QR code and the buttons <em>Authorize test payment</em> and <em>Fail test payment</em>' : ' to pay'}. The payment then shows on the <a href="/dashboard/payments">Payments</a> page, its events in the <a href="/dashboard/events">event log</a>.</p>`,
  });
}

// ---------------------------------------------------------------------------------------------
// The event log and an event

export interface EventsView {
  page: KeysetPage<EventRecord>;
  types: string[];
  form: Record<string, string>;
  problems: string[];
}

export function eventsPage(ctx: PageContext, v: EventsView): string {
  const f = v.form;
  const opt = (val: string, label: string) => `<option value="${esc(val)}"${val === (f.type ?? '') ? ' selected' : ''}>${esc(label)}</option>`;
  const types = f.type && !v.types.includes(f.type) ? [...v.types, f.type] : v.types;
  const filters = `<form method="get" action="/dashboard/events" class="filters" role="search">
<div class="field"><label for="e-type">Type</label><select id="e-type" name="type">${opt('', 'Any type')}${types.map((t) => opt(t, t)).join('')}</select></div>
<div class="field field-grow"><label for="e-object">Object id</label><input id="e-object" name="object" type="search" value="${esc(f.object ?? '')}" placeholder="pi_…, re_…, we_…"></div>
<div class="field"><label for="e-from">From</label><input id="e-from" name="from" type="date" value="${esc(f.from ?? '')}"></div>
<div class="field"><label for="e-to">To</label><input id="e-to" name="to" type="date" value="${esc(f.to ?? '')}"></div>
<button type="submit" class="btn btn-primary">Apply</button> <a class="btn btn-secondary" href="/dashboard/events">Clear</a>
</form>`;
  const problems = v.problems.length ? notice('error', v.problems.map(esc).join('<br>')) : '';
  const list = table([
    { label: 'Type', cell: (e) => cell(`<a href="/dashboard/events/${esc(e.id)}"><strong>${esc(e.type)}</strong></a>`) },
    { label: 'About', cell: (e) => cell(objectLink(e.object_id)) },
    { label: 'Event', cell: (e) => cell(`<span class="muted">${esc(e.id)}</span>`) },
    { label: 'Webhooks pending', num: true, cell: (e) => cell(esc(e.pending_webhooks)) },
    { label: 'Created', cell: (e) => cell(when(ctx, e.created, 'long')) },
  ], v.page.rows, {
    empty: Object.values(f).some(Boolean) ? 'No event matches these filters.' : `No events in ${modeName(ctx)} mode yet. Every change to a payment, refund, checkout session, product or price records one.`,
    caption: 'Events, newest first',
    rowLink: (e) => `/dashboard/events/${e.id}`,
  });
  return page(ctx, {
    title: 'Events',
    section: 'developers',
    body: `<p><a href="/dashboard/developers">← Developers</a></p>${filters}${problems}${list}${pager('/dashboard/events', f, v.page)}`,
  });
}

export interface EventView {
  event: EventRecord;
  deliveries: DeliveryWithAttempts[];
  /** Every endpoint the deliveries went to that still exists, by id. */
  endpoints: Map<string, WebhookEndpointRecord>;
  /** Enabled endpoints that listen for this event's type: where it may be sent again. */
  resendTo: WebhookEndpointRecord[];
  notice?: { kind: 'ok' | 'error'; text: string };
  /** The endpoint chosen in the resend form (kept after a refusal). */
  chosen?: string;
}

export function eventPage(ctx: PageContext, v: EventView): string {
  const e = v.event;
  const info = `<div class="card">${facts([
    ['Type', `<strong>${esc(e.type)}</strong>`],
    ['Event', code(e.id)],
    ['About', objectLink(e.object_id)],
    ['Created', when(ctx, e.created, 'long')],
    ['Caused by', e.request_id ? `API request ${code(e.request_id)}` : 'Antom or background work'],
    ['Idempotency key', code(e.idempotency_key)],
    ['Webhooks pending', esc(e.pending_webhooks)],
    ['API version', esc(e.api_version ?? '—')],
  ])}</div>`;
  const deliveries = table<DeliveryWithAttempts>([
    {
      label: 'Endpoint',
      cell: (d) => {
        const w = v.endpoints.get(d.endpoint_id);
        return cell(w ? `<a href="/dashboard/webhooks/${esc(w.id)}">${esc(w.url)}</a>` : `<span class="muted">Deleted endpoint ${esc(d.endpoint_id)}</span>`);
      },
    },
    { label: 'Status', cell: (d) => cell(badge(d.status)) },
    { label: 'Queued', cell: (d) => cell(when(ctx, d.created, 'long')) },
    { label: 'Attempts', cell: (d) => cell(attemptList(ctx, d)) },
  ], v.deliveries, { empty: 'This event was not sent to any endpoint: none listened for its type when it happened.', caption: 'Deliveries of this event, newest first' });
  const resend = v.resendTo.length
    ? `<form method="post" action="/dashboard/events/${esc(e.id)}/resend" class="card stack">
<h2>Send again</h2>
${csrfField(ctx)}
<p class="muted">Queues one new delivery of this event, signed like the first, with its own attempts.</p>
<div class="field"><label for="resend-endpoint">Endpoint</label><select id="resend-endpoint" name="endpoint">${v.resendTo.map((w) => `<option value="${esc(w.id)}"${w.id === v.chosen ? ' selected' : ''}>${esc(w.url)}${w.description ? ` — ${esc(w.description)}` : ''}</option>`).join('')}</select></div>
<div><button type="submit" class="btn btn-primary">Resend event</button></div>
</form>`
    : `<p class="empty">No enabled endpoint listens for ${esc(e.type)} events, so there is nowhere to send it again. <a href="/dashboard/webhooks">Webhooks</a></p>`;
  return page(ctx, {
    title: e.type,
    section: 'developers',
    notice: v.notice ? notice(v.notice.kind, esc(v.notice.text)) : '',
    body: `<p><a href="/dashboard/events">← Event log</a></p>${info}${resend}<h2>Deliveries</h2>${deliveries}
<h2>Event data</h2><pre>${esc(JSON.stringify(eventPublic(e), null, 2))}</pre>`,
  });
}

// ---------------------------------------------------------------------------------------------
// Trust Payments

export interface TpUserView {
  username: string;
  sites: string[];
  disabled: number | null;
}

export interface RuleForm {
  site: string;
  trigger: string;
  url: string;
  fields: string;
}

export interface TrustPaymentsView {
  publicUrl: string;
  sites: TpSiteRecord[];
  users: TpUserView[];
  rules: TpNotificationRuleRecord[];
  triggers: readonly NotificationTrigger[];
  recommended: Readonly<Record<NotificationTrigger, readonly string[]>>;
  form?: RuleForm;
  /** Why the add form was refused. */
  error?: string;
  /** Why another action was refused (a rule already removed). */
  problem?: string;
  done?: string;
}

const TRIGGER_LABEL: Record<NotificationTrigger, string> = { authorisation: 'Authorisation', settlement: 'Settlement', refund: 'Refund' };

export function trustPaymentsPage(ctx: PageContext, v: TrustPaymentsView): string {
  const u = v.publicUrl;
  const doors = `<div class="card">${facts([
    ['JSON webservices', code(`${u}/json/`)],
    ['XML webservices', code(`${u}/xml/`)],
  ])}<p class="muted">Sites and webservices users are set up on the gateway's machine: <code>npm run cli -- tp --help</code>.</p></div>`;
  const sites = table([
    { label: 'Site reference', cell: (s) => cell(code(s.site_reference)) },
    { label: 'Merchant', cell: (s) => cell(esc(s.merchant_name)) },
    { label: 'Number', num: true, cell: (s) => cell(esc(s.number)) },
    { label: 'Partner id', cell: (s) => cell(code(s.partner_id)) },
    { label: 'Notification password', cell: (s) => cell(s.notification_password ? 'Set' : '<span class="muted">Not set</span>') },
    { label: 'Created', cell: (s) => cell(when(ctx, s.created)) },
  ], v.sites, { empty: `No Trust Payments site in ${modeName(ctx)} mode. Add one with: npm run cli -- tp sites add <site_reference>`, caption: 'Trust Payments sites' });
  const users = table([
    { label: 'Username', cell: (x) => cell(code(x.username)) },
    { label: 'Sites', cell: (x) => cell(x.sites.length ? x.sites.map((r) => code(r)).join(' ') : '<span class="muted">None</span>') },
    { label: 'Status', cell: (x) => cell(x.disabled ? `${badge('disabled')} <span class="muted">since</span> ${when(ctx, x.disabled)}` : badge('enabled', 'Active')) },
  ], v.users, { empty: 'No webservices users. Add one with: npm run cli -- tp users add <username> --site <site_reference>', caption: 'Webservices users' });
  const rules = table([
    { label: 'Site', cell: (r) => cell(code(r.site_reference)) },
    { label: 'On', cell: (r) => cell(esc(r.trigger)) },
    { label: 'URL', cell: (r) => cell(code(r.url)) },
    { label: 'Fields', cell: (r) => cell(`<span class="muted">${esc(r.fields.join(', '))}</span>`) },
    { label: 'Action', cell: (r) => cell(actionButton(ctx, `/dashboard/trust-payments/rules/${r.id}/remove`, 'Remove', { tone: 'danger', confirm: `Stop sending ${r.trigger} notifications of ${r.site_reference} to ${r.url}?` })) },
  ], v.rules, { empty: 'No URL-notification rules.', caption: 'URL-notification rules' });
  const f = v.form ?? { site: v.sites[0]?.site_reference ?? '', trigger: 'authorisation', url: '', fields: '' };
  const invalid = v.error ? ' aria-invalid="true" aria-describedby="rule-error"' : '';
  const form = v.sites.length === 0 ? '' : `<form method="post" action="/dashboard/trust-payments/rules" class="card stack">
<h2>Add a notification rule</h2>
${v.error ? `<div class="notice notice-error" role="alert" id="rule-error">${esc(v.error)}</div>` : ''}
${csrfField(ctx)}
<div class="field"><label for="rule-site">Site</label><select id="rule-site" name="site">${v.sites.map((s) => `<option value="${esc(s.site_reference)}"${s.site_reference === f.site ? ' selected' : ''}>${esc(s.site_reference)}</option>`).join('')}</select></div>
<div class="field"><label for="rule-trigger">Send on</label><select id="rule-trigger" name="trigger" aria-describedby="rule-trigger-hint">${v.triggers.map((t) => `<option value="${esc(t)}"${t === f.trigger ? ' selected' : ''}>${esc(TRIGGER_LABEL[t])}</option>`).join('')}</select></div>
<p id="rule-trigger-hint" class="muted">Authorisation: a payment is authorised or declined. Settlement: its settlestatus changes. Refund: a refund is made.</p>
<div class="field"><label for="rule-url">URL</label><input id="rule-url" name="url" type="url" class="wide" required value="${esc(f.url)}" placeholder="https://shop.example/tp-notifications"${invalid}></div>
<div class="field"><label for="rule-fields">Fields <span class="muted">(optional, comma-separated)</span></label><input id="rule-fields" name="fields" class="wide" value="${esc(f.fields)}" aria-describedby="rule-fields-hint"></div>
<p id="rule-fields-hint" class="muted">Leave empty for the recommended ones — on authorisation: ${esc(v.recommended.authorisation.join(', '))}.</p>
<div><button type="submit" class="btn btn-primary">Add rule</button></div>
</form>`;
  return page(ctx, {
    title: 'Trust Payments',
    section: 'developers',
    notice: (v.problem ? notice('error', esc(v.problem)) : '') + (v.done ? notice('ok', esc(v.done)) : ''),
    body: `<p><a href="/dashboard/developers">← Developers</a></p>${doors}<h2>Sites</h2>${sites}<h2>Webservices users</h2>${users}<h2>URL notifications</h2>${rules}${form}`,
  });
}
