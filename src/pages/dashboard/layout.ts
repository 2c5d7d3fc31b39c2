/**
 * The dashboard's page toolkit: the shell every page sits in (navigation, the test-mode banner,
 * the stylesheet and the little script, both under the response's CSP nonce), and the pieces
 * pages are built from — money and times formatted for the reader, status badges, tables that
 * turn into cards on a phone, forms that carry the CSRF token, and keyset pagination links.
 * Everything interpolated goes through `esc`.
 */
import { esc } from '../html.js';
import { formatMoney } from '../checkout/render.js';
import { intlTag, type Locale } from '../checkout/i18n.js';
import { DASHBOARD_CSS } from './styles.js';
import { DASHBOARD_SCRIPT } from './client.js';

/** What every signed-in page needs from its request. */
export interface PageContext {
  nonce: string;
  csrf: string;
  locale: Locale;
  livemode: boolean;
  /** The session may look at live data (it signed in with the password or a live key). */
  liveAllowed: boolean;
  accountName: string;
  accountId: string;
  /** The request's path and query, for the mode switch to come back to. */
  path: string;
}

export type Section = 'overview' | 'payments' | 'refunds' | 'disputes' | 'balance' | 'webhooks' | 'developers';

const NAV: readonly { section: Section; href: string; label: string }[] = [
  { section: 'overview', href: '/dashboard', label: 'Overview' },
  { section: 'payments', href: '/dashboard/payments', label: 'Payments' },
  { section: 'refunds', href: '/dashboard/refunds', label: 'Refunded payments' },
  { section: 'disputes', href: '/dashboard/disputes', label: 'Disputes' },
  { section: 'balance', href: '/dashboard/balance', label: 'Balance' },
  { section: 'webhooks', href: '/dashboard/webhooks', label: 'Webhooks' },
  { section: 'developers', href: '/dashboard/developers', label: 'Developers' },
];

export function money(ctx: Pick<PageContext, 'locale'>, amount: number, currency: string): string {
  return esc(formatMoney(amount, currency, ctx.locale));
}

/** A time in UTC, in the reader's language: the server does not know the reader's zone, so it says which it uses. */
export function when(ctx: Pick<PageContext, 'locale'>, ms: number | null | undefined, style: 'short' | 'long' = 'short'): string {
  if (ms === null || ms === undefined) return '—';
  const d = new Date(ms);
  const text = new Intl.DateTimeFormat(intlTag(ctx.locale), {
    timeZone: 'UTC', dateStyle: 'medium', timeStyle: style === 'long' ? 'medium' : 'short',
  }).format(d);
  return `<time datetime="${esc(d.toISOString())}">${esc(text)} UTC</time>`;
}

const STATUS_TONE: Record<string, string> = {
  succeeded: 'ok', complete: 'ok', enabled: 'ok', applied: 'ok', settled: 'ok',
  failed: 'bad', canceled: 'muted', refused: 'bad', disabled: 'muted', expired: 'muted',
  requires_payment_method: 'warn', requires_action: 'info', requires_confirmation: 'info', processing: 'info', pending: 'info',
  refunded: 'muted', partially_refunded: 'muted', duplicate: 'muted',
  needs_response: 'warn', warning_needs_response: 'warn', under_review: 'info', warning_under_review: 'info',
  won: 'ok', lost: 'bad', warning_closed: 'muted',
};

const STATUS_LABEL: Record<string, string> = {
  requires_payment_method: 'Incomplete', requires_action: 'Awaiting shopper', requires_confirmation: 'Not confirmed',
  processing: 'Processing', succeeded: 'Succeeded', canceled: 'Canceled', failed: 'Failed', pending: 'Pending',
  refunded: 'Refunded', partially_refunded: 'Partially refunded',
  needs_response: 'Needs response', under_review: 'Under review', won: 'Won', lost: 'Lost',
  warning_needs_response: 'Inquiry: needs response', warning_under_review: 'Inquiry under review', warning_closed: 'Inquiry closed',
};

export function statusLabel(status: string): string {
  return STATUS_LABEL[status] ?? status.replaceAll('_', ' ').replace(/^./, (c) => c.toUpperCase());
}

export function badge(status: string, label = statusLabel(status)): string {
  return `<span class="badge badge-${STATUS_TONE[status] ?? 'muted'}">${esc(label)}</span>`;
}

/** The hidden field every state-changing form carries; the server refuses a POST without it. */
export function csrfField(ctx: Pick<PageContext, 'csrf'>): string {
  return `<input type="hidden" name="_csrf" value="${esc(ctx.csrf)}">`;
}

/** A one-button form (cancel, resend, disable …); `confirm` asks first when script runs. */
export function actionButton(ctx: PageContext, action: string, label: string, opts: { confirm?: string; tone?: 'danger' | 'plain'; fields?: Record<string, string> } = {}): string {
  const hidden = Object.entries(opts.fields ?? {}).map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`).join('');
  return `<form method="post" action="${esc(action)}" class="inline"${opts.confirm ? ` data-confirm="${esc(opts.confirm)}"` : ''}>${csrfField(ctx)}${hidden}<button type="submit" class="btn ${opts.tone === 'danger' ? 'btn-danger' : 'btn-secondary'}">${esc(label)}</button></form>`;
}

export interface Column<T> {
  label: string;
  cell(row: T): string;
  /** Right-aligned figures. */
  num?: boolean;
}

/**
 * A table on a desktop, a stack of cards on a phone (each cell labelled by its column), so a
 * 375 px screen never scrolls sideways.
 */
export function table<T>(columns: readonly Column<T>[], rows: readonly T[], opts: { empty: string; caption?: string; rowLink?: (row: T) => string } = { empty: 'Nothing yet.' }): string {
  if (rows.length === 0) return `<p class="empty">${esc(opts.empty)}</p>`;
  const head = columns.map((c) => `<th scope="col"${c.num ? ' class="num"' : ''}>${esc(c.label)}</th>`).join('');
  const body = rows.map((r) => {
    // One wrapper per cell: on a phone the cell is a flex row (label | value), and the value stays one piece.
    const cells = columns.map((c) => `<td data-label="${esc(c.label)}"${c.num ? ' class="num"' : ''}><div>${c.cell(r)}</div></td>`).join('');
    return `<tr${opts.rowLink ? ` data-href="${esc(opts.rowLink(r))}"` : ''}>${cells}</tr>`;
  }).join('');
  return `<div class="table-wrap"><table class="list">${opts.caption ? `<caption class="sr-only">${esc(opts.caption)}</caption>` : ''}<thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`;
}

/** Label/value pairs of one object. */
export function facts(pairs: readonly [label: string, valueHtml: string][]): string {
  return `<dl class="facts">${pairs.map(([k, v]) => `<div><dt>${esc(k)}</dt><dd>${v}</dd></div>`).join('')}</dl>`;
}

/** Newer/older links of a keyset page, keeping the page's filters. */
export function pager(base: string, query: Record<string, string | undefined>, page: { next: string | null; prev: string | null }): string {
  const link = (cursor: Record<string, string>) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries({ ...query, ...cursor })) if (v) q.set(k, v);
    return `${base}?${q.toString()}`;
  };
  const strip = { after: '', before: '' };
  const prev = page.prev ? `<a class="btn btn-secondary" rel="prev" href="${esc(link({ ...strip, before: page.prev }))}">← Newer</a>` : '';
  const next = page.next ? `<a class="btn btn-secondary" rel="next" href="${esc(link({ ...strip, after: page.next }))}">Older →</a>` : '';
  return prev || next ? `<nav class="pager" aria-label="Pages">${prev}${next}</nav>` : '';
}

export function code(text: string | null | undefined): string {
  return text ? `<code>${esc(text)}</code>` : '—';
}

/** A notice at the top of a page: what just happened, or what went wrong, in plain words. */
export function notice(kind: 'ok' | 'error' | 'info', html: string): string {
  return `<div class="notice notice-${kind}" role="${kind === 'error' ? 'alert' : 'status'}">${html}</div>`;
}

function modeSwitch(ctx: PageContext): string {
  if (!ctx.liveAllowed) return '';
  return `<form method="post" action="/dashboard/mode" class="mode">${csrfField(ctx)}<input type="hidden" name="back" value="${esc(ctx.path)}">
<input type="hidden" name="mode" value="${ctx.livemode ? 'test' : 'live'}"><button type="submit" class="btn btn-secondary">${ctx.livemode ? 'View test data' : 'View live data'}</button></form>`;
}

/** The signed-in shell. */
export function page(ctx: PageContext, opts: { title: string; section: Section; body: string; notice?: string }): string {
  const nav = NAV.map((n) => `<a href="${n.href}"${n.section === opts.section ? ' aria-current="page"' : ''}>${esc(n.label)}</a>`).join('');
  return `<!doctype html>
<html lang="${esc(intlTag(ctx.locale))}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(opts.title)} – ${esc(ctx.accountName)} – OpenCashier</title>
<style nonce="${esc(ctx.nonce)}">${DASHBOARD_CSS}</style></head>
<body>
<a class="skip" href="#main">Skip to content</a>
${ctx.livemode ? '' : '<div class="test-banner" role="note"><strong>Test mode</strong> — you are looking at test data: no real money moves.</div>'}
<header class="top"><div class="top-inner">
  <a class="brand" href="/dashboard"><span class="mark" aria-hidden="true">OC</span><span>${esc(ctx.accountName)}</span></a>
  <nav class="nav" aria-label="Dashboard">${nav}</nav>
  <div class="session">${modeSwitch(ctx)}<form method="post" action="/dashboard/logout" class="inline">${csrfField(ctx)}<button type="submit" class="btn btn-link">Sign out</button></form></div>
</div></header>
<main id="main" tabindex="-1"><h1>${esc(opts.title)}</h1>${opts.notice ?? ''}${opts.body}</main>
<script nonce="${esc(ctx.nonce)}">${DASHBOARD_SCRIPT}</script>
</body></html>`;
}

/** A page outside the signed-in shell (sign-in, errors). */
export function barePage(opts: { nonce: string; title: string; body: string; lang?: string }): string {
  return `<!doctype html>
<html lang="${esc(opts.lang ?? 'en')}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(opts.title)} – OpenCashier</title>
<style nonce="${esc(opts.nonce)}">${DASHBOARD_CSS}</style></head>
<body class="bare"><main id="main" class="narrow">${opts.body}</main>
<script nonce="${esc(opts.nonce)}">${DASHBOARD_SCRIPT}</script></body></html>`;
}
