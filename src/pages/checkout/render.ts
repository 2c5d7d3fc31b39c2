/**
 * The hosted checkout page: a {@link CheckoutView} in, one complete HTML document out.
 *
 * The route serves it under `default-src 'none'; style-src 'nonce-…'; script-src 'nonce-…';
 * img-src 'self' data: https:; connect-src 'self'; form-action 'self' …`, so every <style> and
 * <script> carries the nonce, and there are no style attributes or inline event handlers. The page
 * works with script off: forms post, the server redirects; the script (client.ts) only saves
 * reloads on a desktop and polls while a QR code is shown.
 */
import { currencyInfo, formatAmount } from '../../core/money.js';
import { esc } from '../html.js';
import { CHECKOUT_HEAD_SCRIPT, CHECKOUT_SCRIPT } from './client.js';
import { intlTag, t } from './i18n.js';
import { CHECKOUT_CSS } from './styles.js';
import type { CheckoutLineItemView, CheckoutView, CheckoutWalletView, Locale } from './view.js';

export interface RenderCheckoutOptions {
  /** The per-response CSP nonce; it goes on every <style> and <script>. */
  nonce: string;
}

/**
 * An amount of integer minor units as the shopper reads it: `formatMoney(20, 'CNY', 'en')` is
 * "CN¥0.20", `formatMoney(123456, 'JPY', 'ja')` is "￥123,456". The currency's exponent comes from
 * core/money.ts; the digits shown are Intl's for that currency and language (so IDR is whole
 * rupiah), widened only when the amount has a fraction Intl would otherwise round away.
 */
export function formatMoney(amount: number, currency: string, locale: Locale): string {
  const code = currency.toUpperCase();
  const tag = intlTag(locale);
  let nf: Intl.NumberFormat;
  try {
    nf = new Intl.NumberFormat(tag, { style: 'currency', currency: code });
  } catch {
    return formatAmount(amount, code);
  }
  const intlDigits = nf.resolvedOptions().maximumFractionDigits ?? 2;
  const exponent = currencyInfo(code)?.exponent ?? intlDigits;
  const minor = Math.round(amount);
  const unit = 10 ** exponent;
  if (minor % unit !== 0) {
    const fraction = String(Math.abs(minor) % unit).padStart(exponent, '0').replace(/0+$/, '');
    if (fraction.length > intlDigits) {
      nf = new Intl.NumberFormat(tag, { style: 'currency', currency: code, minimumFractionDigits: exponent, maximumFractionDigits: exponent });
    }
  }
  // A decimal string keeps large amounts exact; Intl.NumberFormat v3 (Node 20) formats strings as decimals.
  return nf.format(decimalString(minor, exponent) as unknown as number);
}

function decimalString(minor: number, exponent: number): string {
  const sign = minor < 0 ? '-' : '';
  const digits = String(Math.abs(minor)).padStart(exponent + 1, '0');
  return exponent === 0 ? sign + digits : `${sign}${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
}

/** The first letter as a person sees it (a whole grapheme, so "ร้" or an emoji stays intact). */
function initial(name: string): string {
  const trimmed = name.trim();
  if (!trimmed) return '?';
  const first = new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(trimmed)[Symbol.iterator]().next().value;
  return (first?.segment ?? trimmed.slice(0, 1)).toLocaleUpperCase();
}

/** A stable colour for a name, so a merchant's monogram looks the same on every visit. */
function tone(name: string): string {
  let h = 0;
  for (const ch of name) h = (h * 31 + (ch.codePointAt(0) ?? 0)) >>> 0;
  return `tone-${h % 6}`;
}

/**
 * Merchant URLs come from the API as given; the seeds even show `cancel_url: "www.baidu.com"`.
 * Script URLs are never linked (the CSP would block them anyway); a bare host gets https://.
 */
function safeHref(url: string | null | undefined): string | null {
  const u = (url ?? '').trim();
  if (!u) return null;
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(u);
  if (scheme) return /^(javascript|data|vbscript|file)$/i.test(scheme[1] ?? '') ? null : u;
  if (u.startsWith('/')) return u;
  return /^[a-z0-9-]+(\.[a-z0-9-]+)+([/:?#]|$)/i.test(u) ? `https://${u}` : null;
}

/** Product pictures: https (the CSP's img-src), our own paths, or inline data images. */
function safeImageSrc(url: string | null | undefined): string | null {
  const u = (url ?? '').trim();
  return /^https:\/\/[^\s]+$/i.test(u) || /^\/(?!\/)/.test(u) || /^data:image\/(png|jpe?g|gif|webp|svg\+xml)[;,]/i.test(u) ? u : null;
}

/** JSON for a `<script type="application/json">`: `<` escaped so no value can close the element. */
function scriptJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

interface Ctx {
  v: CheckoutView;
  l: Locale;
  money: (amount: number) => string;
}

const ICON_CHECK = '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="3" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false"><path d="M5 12.5l4.5 4.5L19 7.5"/></svg>';
const ICON_CLOCK = '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2.5" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false"><circle cx="12" cy="12" r="8.5"/><path d="M12 7.5V12l3 2"/></svg>';
const ICON_QR = '<svg class="qr-glyph" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.6" aria-hidden="true" focusable="false"><rect x="3" y="3" width="7" height="7" rx="1"/><rect x="14" y="3" width="7" height="7" rx="1"/><rect x="3" y="14" width="7" height="7" rx="1"/><path d="M14 14h3v3h-3zM20 14v.01M14 20h.01M17 20h4v-3"/></svg>';

function header(c: Ctx): string {
  const name = c.v.merchantName;
  return `<header class="topbar"><div class="topbar-inner">
<div class="merchant"><span class="monogram ${tone(name)}" aria-hidden="true">${esc(initial(name))}</span><span class="merchant-name">${esc(name)}</span></div>
${c.v.livemode ? '' : `<span class="badge-test">${esc(t(c.l, 'testMode'))}</span>`}
</div></header>`;
}

function lineItem(c: Ctx, item: CheckoutLineItemView, withThumbs: boolean): string {
  const thumb = !withThumbs
    ? ''
    : safeImageSrc(item.imageUrl)
      // alt is empty: the product's name is right beside the picture.
      ? `<img class="item-thumb" src="${esc(safeImageSrc(item.imageUrl))}" alt="" width="48" height="48" loading="lazy" referrerpolicy="no-referrer">`
      : `<span class="thumb-empty" aria-hidden="true">${esc(initial(item.name))}</span>`;
  const meta = item.quantity === 1
    ? esc(t(c.l, 'qty', { quantity: 1 }))
    : `${esc(t(c.l, 'qty', { quantity: item.quantity }))} · <span class="num">${esc(t(c.l, 'each', { amount: c.money(item.unitAmount) }))}</span>`;
  return `<li class="item">${thumb}<div class="item-main">
<p class="item-name">${esc(item.name)}</p>
${item.description && item.description !== item.name ? `<p class="item-desc">${esc(item.description)}</p>` : ''}
<p class="item-meta">${meta}</p>
</div><p class="item-amount num">${esc(c.money(item.amountTotal))}</p></li>`;
}

/** Items, subtotal, total and e-mail: the same block on the payment page and on the receipt. */
function orderDetails(c: Ctx): string {
  const v = c.v;
  const withThumbs = v.lineItems.some((i) => safeImageSrc(i.imageUrl));
  const items = v.lineItems.length
    ? `<ul class="items">${v.lineItems.map((i) => lineItem(c, i, withThumbs)).join('\n')}</ul>`
    : '';
  const email = v.customerEmail
    ? `<dl class="contact"><div class="row"><dt>${esc(t(c.l, 'email'))}</dt><dd>${esc(v.customerEmail)}</dd></div></dl>`
    : '';
  return `${items}
<dl class="totals">
<div class="row"><dt>${esc(t(c.l, 'subtotal'))}</dt><dd class="num">${esc(c.money(v.amountSubtotal))}</dd></div>
<div class="row grand"><dt>${esc(t(c.l, 'total'))}</dt><dd class="num">${esc(c.money(v.amountTotal))}</dd></div>
</dl>
${email}`;
}

/**
 * The open page's left column in two parts, so a phone can put the payment panel between them:
 * what and how much first, then the panel, then the line items (see the grid areas in styles.ts).
 */
function intro(c: Ctx): string {
  return `<div class="intro">
<h1 id="summary-title" class="summary-title">${esc(t(c.l, 'payMerchant', { merchant: c.v.merchantName }))}</h1>
<p class="summary-total num">${esc(c.money(c.v.amountTotal))}</p>
</div>`;
}

function order(c: Ctx): string {
  return `<section class="order" aria-labelledby="order-title">
<h2 id="order-title" class="section-label">${esc(t(c.l, 'orderSummary'))}</h2>
${orderDetails(c)}
</section>`;
}

function errorAlert(c: Ctx): string {
  // Rendered even without an error, hidden, so the script has a live region to fill.
  return `<div id="pay-error" class="alert" role="alert"${c.v.lastError ? '' : ' hidden'}>
<span class="alert-icon" aria-hidden="true">!</span>
<div><p class="alert-title">${esc(t(c.l, 'errorTitle'))}</p><p data-error-message>${esc(c.v.lastError ?? '')}</p><p>${esc(t(c.l, 'tryAgain'))}</p></div>
</div>`;
}

/** Display name of the wallet a QR code is for. */
function qrWalletName(c: Ctx): string {
  const qr = c.v.qr;
  if (!qr || qr.method === 'alipay') return t(c.l, 'alipay');
  return c.v.wallets.find((w) => w.code === qr.wallet)?.name ?? qr.wallet ?? t(c.l, 'alipay');
}

function qrLabels(c: Ctx, wallet: string): string {
  return ` data-scan-label="${esc(t(c.l, 'scanWith', { wallet }))}" data-qr-label="${esc(t(c.l, 'qrLabel', { amount: c.money(c.v.amountTotal), wallet }))}"`;
}

/**
 * The desktop QR box. Its size is fixed in CSS and it is in the page from the first paint, empty,
 * loading or filled, so the code arriving moves nothing. `startButton` is the Alipay-only form's
 * "Show QR code", which is what a browser without script uses.
 */
function qrArea(c: Ctx, opts: { solo: boolean; autoStart: boolean; startButton: string }): string {
  const qr = c.v.qr;
  const wallet = qrWalletName(c);
  const state = qr ? 'ready' : 'empty';
  // Until there is a code, the caption line under the box says where it will be.
  const placeholder = t(c.l, 'qrPlaceholder');
  const walletHref = qr ? safeHref(qr.walletUrl) : null;
  const boxImg = qr ? ` role="img" aria-label="${esc(t(c.l, 'qrLabel', { amount: c.money(c.v.amountTotal), wallet }))}"` : '';
  return `<div id="qr-area" class="qr-area${opts.solo ? ' qr-solo' : ''}" data-state="${state}"${opts.autoStart ? ' data-auto' : ''}>
<div id="qr-box" class="qr-box"${boxImg}>
<div id="qr-code" class="qr-code">${qr ? qr.svg : ''}</div>
<div class="qr-empty">${ICON_QR}${opts.startButton}</div>
<div class="qr-loading"><span class="spinner" aria-hidden="true"></span><span>${esc(t(c.l, 'loadingQr'))}</span></div>
</div>
<p id="qr-caption" class="qr-caption" data-empty="${esc(placeholder)}">${esc(qr ? t(c.l, 'scanWith', { wallet }) : placeholder)}</p>
<p id="qr-fallback" class="qr-fallback"${walletHref ? '' : ' hidden'}><a id="qr-link" href="${esc(walletHref ?? '#')}" rel="noopener noreferrer">${esc(t(c.l, 'openOnDevice'))}</a></p>
<p id="qr-status" class="qr-status" role="status" aria-live="polite">${qr ? esc(t(c.l, 'waiting')) : ''}</p>
</div>`;
}

function alipayForm(c: Ctx, inner: string, withQrLabels: boolean): string {
  return `<form class="pay-form" method="post" action="${esc(c.v.urls.pay)}" data-pay-form${withQrLabels ? qrLabels(c, t(c.l, 'alipay')) : ''}>
<input type="hidden" name="method" value="alipay">
${inner}
</form>`;
}

function walletOption(c: Ctx, w: CheckoutWalletView, i: number, checked: boolean): string {
  const id = `wallet-${i}`;
  const note = w.available ? '' : `<span class="wallet-note" id="${id}-note">${esc(t(c.l, 'minimum', { amount: c.money(w.minimum) }))}</span>`;
  const attrs = w.available
    ? ` required${checked ? ' checked' : ''}`
    : ` disabled aria-describedby="${id}-note"`;
  const desktop = c.v.device === 'desktop' ? qrLabels(c, w.name) : '';
  return `<label class="wallet${w.available ? '' : ' is-disabled'}" for="${id}">
<input type="radio" id="${id}" name="wallet" value="${esc(w.code)}"${attrs} data-pay-label="${esc(t(c.l, 'payWith', { wallet: w.name }))}"${desktop}>
<span class="wallet-mark ${tone(w.name)}" aria-hidden="true">${esc(initial(w.name))}</span>
<span class="wallet-text"><span class="wallet-name">${esc(w.name)}</span>${note}</span>
</label>`;
}

function alipayPlusForm(c: Ctx, legend: string): string {
  const v = c.v;
  const available = v.wallets.filter((w) => w.available);
  // The QR on screen is for a wallet: keep it chosen. With one wallet to pick, the choice is made.
  const chosen = v.qr?.method === 'alipayplus' && available.some((w) => w.code === v.qr?.wallet)
    ? v.qr.wallet
    : available.length === 1 ? available[0]?.code ?? null : null;
  const chosenName = available.find((w) => w.code === chosen)?.name;
  const label = chosenName ? t(c.l, 'payWith', { wallet: chosenName }) : t(c.l, 'payWithSelected');
  return `<form class="pay-form" method="post" action="${esc(v.urls.pay)}" data-pay-form>
<input type="hidden" name="method" value="alipayplus">
<fieldset class="wallets"><legend>${esc(legend)}</legend>
<div class="wallet-list">
${v.wallets.map((w, i) => walletOption(c, w, i, w.code === chosen)).join('\n')}
</div></fieldset>
<button type="submit" class="btn btn-primary" data-pay-button${available.length ? '' : ' disabled'}>${esc(label)}</button>
${v.device === 'phone' ? `<p class="hint">${esc(t(c.l, 'phoneHintAny'))}</p>` : ''}
</form>`;
}

function paymentPanel(c: Ctx): string {
  const v = c.v;
  const alipay = v.methods.includes('alipay');
  const plus = v.methods.includes('alipayplus') && v.wallets.length > 0;
  const desktop = v.device === 'desktop';
  let title = t(c.l, 'paymentMethod');
  let body: string;

  if (alipay && !plus && desktop) {
    // Alipay alone on a desktop is one thing to do: scan. The script fetches the QR at once; the
    // button in the box is for browsers without script (and for trying again after an error).
    title = t(c.l, 'payWith', { wallet: t(c.l, 'alipay') });
    const startLabel = v.lastError ? t(c.l, 'retry') : t(c.l, 'showQr');
    const start = `<button type="submit" class="btn btn-primary" data-pay-button>${esc(startLabel)}</button>`;
    body = alipayForm(c, qrArea(c, { solo: true, autoStart: !v.qr && !v.lastError, startButton: start }), true);
  } else {
    const parts: string[] = [];
    if (alipay) {
      const hint = desktop ? '' : `<p class="hint">${esc(t(c.l, 'phoneHint', { wallet: t(c.l, 'alipay') }))}</p>`;
      parts.push(alipayForm(c, `<button type="submit" class="btn btn-primary" data-pay-button>${esc(t(c.l, 'payWith', { wallet: t(c.l, 'alipay') }))}</button>\n${hint}`, desktop));
    }
    if (alipay && plus) parts.push(`<div class="divider">${esc(t(c.l, 'or'))}</div>`);
    if (plus) parts.push(alipayPlusForm(c, alipay ? t(c.l, 'otherWallet') : t(c.l, 'chooseWallet')));
    if (desktop && parts.length) parts.push(qrArea(c, { solo: false, autoStart: false, startButton: '' }));
    body = parts.join('\n');
  }

  const cancel = cancelLink(c, 'cancel');
  return `<section class="panel" aria-labelledby="panel-title">
<h2 id="panel-title" class="panel-title">${esc(title)}</h2>
${errorAlert(c)}
${body}
${v.livemode ? '' : `<p class="test-note">${esc(t(c.l, 'testModeNote'))}</p>`}
${cancel}
</section>`;
}

function cancelLink(c: Ctx, key: 'cancel' | 'returnTo'): string {
  const href = safeHref(c.v.cancelUrl);
  if (!href) return '';
  return `<p class="cancel"><a href="${esc(href)}"><span aria-hidden="true">←</span> ${esc(t(c.l, key, { merchant: c.v.merchantName }))}</a></p>`;
}

function finalPage(c: Ctx): string {
  const v = c.v;
  const complete = v.status === 'complete';
  const success = safeHref(v.successUrl);
  const action = complete
    ? (success ? `<a class="btn btn-primary" href="${esc(success)}">${esc(t(c.l, 'returnTo', { merchant: v.merchantName }))}</a>` : '')
    : cancelLink(c, 'returnTo');
  return `<main id="main" class="layout layout-final">
<section class="card status-card ${complete ? 'status-complete' : 'status-expired'}" aria-labelledby="status-title">
<div class="status-icon">${complete ? ICON_CHECK : ICON_CLOCK}</div>
<h1 id="status-title">${esc(t(c.l, complete ? 'completeTitle' : 'expiredTitle'))}</h1>
<p>${esc(complete
    ? t(c.l, 'completeBody', { amount: c.money(v.amountTotal), merchant: v.merchantName })
    : t(c.l, 'expiredBody', { merchant: v.merchantName }))}</p>
${action}
</section>
<section class="card summary-card" aria-labelledby="summary-title">
<h2 id="summary-title" class="section-title">${esc(t(c.l, 'orderSummary'))}</h2>
${orderDetails(c)}
</section>
</main>`;
}

function openPage(c: Ctx): string {
  return `<main id="main" class="layout layout-open">
${intro(c)}
${order(c)}
${paymentPanel(c)}
</main>`;
}

/** What the script needs that the markup does not already say. */
function clientConfig(c: Ctx): object {
  const v = c.v;
  const alipayOnlyDesktop = v.device === 'desktop' && v.methods.includes('alipay') && !(v.methods.includes('alipayplus') && v.wallets.length > 0);
  return {
    device: v.device,
    statusUrl: v.urls.status,
    polling: v.device === 'desktop' && v.qr !== null,
    autoStart: alipayOnlyDesktop && !v.qr && !v.lastError,
    shownError: v.lastError,
    text: {
      waiting: t(c.l, 'waiting'),
      loading: t(c.l, 'loadingQr'),
      generic: t(c.l, 'genericError'),
      redirecting: t(c.l, 'redirecting'),
      retry: t(c.l, 'retry'),
    },
  };
}

/**
 * The whole checkout document for a view: the order summary beside the payment panel (stacked on
 * a phone) while the session is open; the outcome and a receipt once it is complete or expired.
 * Every interpolated value is escaped; `view.qr.svg` is the one piece of markup taken as given.
 */
export function renderCheckoutPage(view: CheckoutView, opts: RenderCheckoutOptions): string {
  const c: Ctx = { v: view, l: view.locale, money: (a) => formatMoney(a, view.currency, view.locale) };
  const nonce = esc(opts.nonce);
  const open = view.status === 'open';
  const title = open
    ? `${t(c.l, 'payMerchant', { merchant: view.merchantName })} · ${c.money(view.amountTotal)}`
    : `${t(c.l, view.status === 'complete' ? 'completeTitle' : 'expiredTitle')} · ${view.merchantName}`;
  const scripts = open
    ? `<script type="application/json" id="checkout-config" nonce="${nonce}">${scriptJson(clientConfig(c))}</script>
<script nonce="${nonce}">${CHECKOUT_SCRIPT}</script>`
    : '';
  return `<!doctype html>
<html lang="${esc(view.locale)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<meta name="referrer" content="same-origin">
<meta name="color-scheme" content="light">
<link rel="icon" href="data:,">
<title>${esc(title)}</title>
${open ? `<script nonce="${nonce}">${CHECKOUT_HEAD_SCRIPT}</script>\n` : ''}<style nonce="${nonce}">${CHECKOUT_CSS}</style>
</head>
<body>
${header(c)}
${open ? openPage(c) : finalPage(c)}
<footer class="footer"><p>${esc(t(c.l, 'poweredBy', { name: 'OpenCashier' }))}</p></footer>
${scripts}
</body>
</html>
`;
}
