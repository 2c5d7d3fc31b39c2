/**
 * The shopper's side of the simulator: a desktop cashier with a QR code, a phone wallet page, and
 * the result page that sends the shopper back to the merchant. Server-rendered HTML with inline
 * CSS and a few lines of script (status polling, countdown); no external assets, so it works
 * offline and under a strict Content-Security-Policy.
 */
import QRCode from 'qrcode';
import { currencyInfo, formatAmount, walletsFor, WALLETS, type WalletCode } from '../core/money.js';
import type { SimContext } from './context.js';
import { shopperUrls } from './payments.js';
import { isFinal, type PaymentRow } from './store.js';

export type PageView = 'cashier' | 'wallet';

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON that is safe inside `<script type="application/json">`. */
function scriptJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c');
}

/** The amount as a shopper reads it, in the currency's own format: ₱300.00, IDR 300.00, ₩5,000. */
export function displayAmount(amount: number, currency: string): string {
  const exp = currencyInfo(currency)?.exponent ?? 2;
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency, minimumFractionDigits: exp, maximumFractionDigits: exp }).format(amount / 10 ** exp);
  } catch {
    return formatAmount(amount, currency);
  }
}

function walletName(code: string): string {
  return WALLETS[code as WalletCode]?.name ?? code;
}

/** Who the page looks like: the Alipay+ cashier, Alipay, or the one wallet the merchant asked for. */
function brandName(method: string): string {
  if (method === 'CONNECT_WALLET') return 'Alipay+';
  return walletName(method);
}

export interface StatusView {
  status: PaymentRow['status'];
  final: boolean;
  tone: 'waiting' | 'success' | 'failure';
  headline: string;
  detail: string;
}

export function statusView(p: PaymentRow): StatusView {
  const final = isFinal(p.status);
  switch (p.status) {
    case 'PROCESSING':
      return { status: p.status, final, tone: 'waiting', headline: 'Waiting for payment', detail: 'Scan the code or confirm in your wallet app.' };
    case 'PENDING':
      return { status: p.status, final, tone: 'waiting', headline: 'Payment processing', detail: `${walletName(p.wallet ?? p.method)} is confirming the payment.` };
    case 'SUCCESS':
      return { status: p.status, final, tone: 'success', headline: 'Payment successful', detail: `${displayAmount(p.amount, p.currency)} paid with ${walletName(p.wallet ?? p.method)}.` };
    case 'CANCELLED':
      return { status: p.status, final, tone: 'failure', headline: 'Payment cancelled', detail: 'The merchant cancelled this payment. Nothing was charged.' };
    case 'FAIL':
      return p.result_code === 'ORDER_IS_CLOSED'
        ? { status: p.status, final, tone: 'failure', headline: 'Payment expired', detail: 'This payment closed before it was paid. Nothing was charged.' }
        : { status: p.status, final, tone: 'failure', headline: 'Payment failed', detail: `The wallet declined the payment (${p.result_code ?? 'PROCESS_FAIL'}). Nothing was charged.` };
  }
}

interface WalletChoice {
  code: string;
  name: string;
  available: boolean;
  note?: string;
}

/** Alipay+ shows only the wallets that pay in the order's currency, the shopper's region first; too-small amounts disable a wallet. */
function walletChoices(p: PaymentRow): WalletChoice[] | undefined {
  if (p.method !== 'CONNECT_WALLET') return undefined;
  const options = walletsFor(p.method, p.currency, p.amount);
  const region = p.user_region?.toUpperCase();
  const sorted = region ? [...options].sort((a, b) => Number(b.wallet.region === region) - Number(a.wallet.region === region)) : options;
  return sorted.map((o) => ({
    code: o.wallet.code,
    name: o.wallet.name,
    available: o.available,
    ...(o.available ? {} : { note: `Minimum ${formatAmount(o.minimum, p.currency)}` }),
  }));
}

const CSS = `
:root{--brand:#0e5fd8;--brand-dark:#0a47a3;--ink:#1b2430;--muted:#4a5565;--line:#d5dbe3;--bg:#eef2f7;--card:#fff;--ok:#11703b;--bad:#b42318;--focus:#f5a524}
*{box-sizing:border-box}
html{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--ink);background:var(--bg);line-height:1.45}
body{margin:0;min-height:100vh;overflow-wrap:anywhere}
a{color:var(--brand-dark)}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.topbar{background:var(--brand);color:#fff;display:flex;align-items:center;gap:.75rem;padding:.8rem 1.25rem}
.logo{width:2rem;height:2rem;border-radius:.55rem;background:#fff;color:var(--brand);display:grid;place-items:center;font-weight:800;font-size:1.05rem}
.brand{font-weight:700;font-size:1.15rem;letter-spacing:.01em}
.badge{margin-left:auto;background:#fff;color:#7a4a00;border-radius:999px;padding:.15rem .65rem;font-size:.8rem;font-weight:600}
.card{background:var(--card);border:1px solid var(--line);border-radius:14px;padding:1.25rem 1.5rem;box-shadow:0 1px 3px rgba(16,24,40,.06)}
.muted{color:var(--muted)}
.amount{font-size:2.1rem;font-weight:750;margin:.1rem 0 .25rem;letter-spacing:-.01em}
h1{font-size:1.15rem;margin:0 0 .25rem}
h2{font-size:1rem;margin:0 0 .75rem}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:.75rem 0 0;font-size:.9rem}
dl.facts dt{color:var(--muted)}
dl.facts dd{margin:0;word-break:break-all}
fieldset{border:0;margin:0 0 1rem;padding:0}
legend{font-weight:650;margin-bottom:.5rem}
.wallet-option{display:flex;align-items:center;gap:.75rem;border:1px solid var(--line);border-radius:10px;padding:.7rem .85rem;margin-bottom:.5rem;cursor:pointer;background:#fff}
.wallet-option:has(input:checked){border-color:var(--brand);box-shadow:0 0 0 1px var(--brand)}
.wallet-option.disabled{cursor:not-allowed;background:#f6f7f9;color:#5d6776}
.wallet-option input{width:1.15rem;height:1.15rem;accent-color:var(--brand)}
.wallet-note{margin-left:auto;font-size:.85rem}
.buttons{display:grid;gap:.6rem}
button,.button{font:inherit;font-weight:650;border-radius:10px;padding:.8rem 1rem;border:2px solid var(--brand);background:var(--brand);color:#fff;cursor:pointer;text-align:center;text-decoration:none;display:block}
button:hover,.button:hover{background:var(--brand-dark);border-color:var(--brand-dark)}
button.secondary{background:#fff;color:var(--bad);border-color:var(--bad)}
button.secondary:hover{background:#fdf0ef}
button:disabled{opacity:.6;cursor:progress}
.alert{border-radius:10px;padding:.75rem 1rem;margin:0 0 1rem;border:1px solid}
.alert.error{background:#fdf0ef;border-color:#f3b8b2;color:#8a1c12}
.status{font-weight:600;margin:1rem 0 0}
.result{text-align:center}
.result .icon{width:4rem;height:4rem;border-radius:50%;display:grid;place-items:center;margin:0 auto .75rem;font-size:2rem;color:#fff}
.result.success .icon{background:var(--ok)}
.result.failure .icon{background:var(--bad)}
.result.waiting .icon{background:var(--brand)}
.result h1{font-size:1.4rem}
.result .button{margin-top:1rem}
.test-note{font-size:.85rem;color:var(--muted);margin:.75rem 0 0}
/* desktop cashier */
.cashier{max-width:960px;margin:2rem auto;padding:0 1rem;display:grid;gap:1rem}
.cashier .grid{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:1rem}
.qr{text-align:center}
.qr-box{width:min(260px,100%);margin:0 auto .75rem;padding:.5rem;border:1px solid var(--line);border-radius:12px;background:#fff}
.qr-box svg{display:block;width:100%;height:auto}
.countdown{font-variant-numeric:tabular-nums}
@media (max-width:720px){.cashier .grid{grid-template-columns:1fr}.cashier{margin:1rem auto}}
/* phone wallet */
body.phone-body{background:#dfe5ee}
.phone{max-width:420px;min-height:100vh;margin:0 auto;background:#f7f8fa;display:flex;flex-direction:column}
.phone main{padding:1rem;display:grid;gap:1rem}
.phone .topbar{justify-content:flex-start}
.payee{text-align:center}
.payee .avatar{width:3.2rem;height:3.2rem;border-radius:50%;background:#e3ecfb;color:var(--brand-dark);display:grid;place-items:center;margin:0 auto .5rem;font-weight:800;font-size:1.3rem}
@media (prefers-reduced-motion:no-preference){button,.button,.wallet-option{transition:background .15s,border-color .15s}}
`;

interface LayoutInput {
  title: string;
  nonce: string;
  body: string;
  phone: boolean;
  head?: string;
  script?: string;
}

function layout(l: LayoutInput): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(l.title)}</title>
${l.head ?? ''}
<style nonce="${l.nonce}">${CSS}</style>
</head>
<body${l.phone ? ' class="phone-body"' : ''}>
${l.body}
${l.script ? `<script nonce="${l.nonce}">${l.script}</script>` : ''}
</body>
</html>`;
}

/** Strict enough that the only script that runs is ours: everything inline carries the nonce. */
export function contentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'none'",
    `style-src 'nonce-${nonce}'`,
    `script-src 'nonce-${nonce}'`,
    "img-src 'self' data:",
    "connect-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function topbar(method: string, phone: boolean): string {
  const name = brandName(method);
  return `<header class="topbar"><span class="logo" aria-hidden="true">${escapeHtml(name.slice(0, 1))}</span>`
    + `<span class="brand">${escapeHtml(name)}${phone ? '' : ' Cashier'}</span><span class="badge">Test mode</span></header>`;
}

function walletFieldset(choices: WalletChoice[]): string {
  const items = choices.map((c) => {
    const id = `wallet-${c.code}`;
    const noteId = `${id}-note`;
    return `<label class="wallet-option${c.available ? '' : ' disabled'}" for="${id}">`
      + `<input type="radio" id="${id}" name="wallet" value="${escapeHtml(c.code)}"${c.available ? ' required' : ' disabled'}${c.note ? ` aria-describedby="${noteId}"` : ''}>`
      + `<span class="wallet-name">${escapeHtml(c.name)}</span>`
      + (c.note ? `<span class="wallet-note" id="${noteId}">${escapeHtml(c.note)}</span>` : '')
      + `</label>`;
  }).join('\n');
  return `<fieldset><legend>Choose your wallet</legend>\n${items}\n</fieldset>`;
}

function payForm(p: PaymentRow, view: PageView): string {
  const choices = walletChoices(p);
  return `<form class="pay-form" method="post" action="/simulator/pay">
<input type="hidden" name="codeValue" value="${escapeHtml(p.code_value)}">
<input type="hidden" name="view" value="${view}">
${choices ? walletFieldset(choices) : ''}
<div class="buttons">
<button type="submit" name="action" value="authorize">Authorize test payment</button>
<button type="submit" name="action" value="fail" class="secondary">Fail test payment</button>
</div>
<p class="test-note">Simulator: these buttons stand in for the shopper's wallet. No real money moves.</p>
</form>`;
}

function resultBlock(p: PaymentRow, withLink: boolean): string {
  const s = statusView(p);
  const icon = s.tone === 'success' ? '✓' : s.tone === 'failure' ? '✕' : '…';
  return `<section class="card result ${s.tone}" aria-labelledby="result-title">
<div class="icon" aria-hidden="true">${icon}</div>
<h1 id="result-title">${escapeHtml(s.headline)}</h1>
<p>${escapeHtml(s.detail)}</p>
${withLink ? `<a class="button" href="${escapeHtml(p.redirect_url)}">Return to merchant</a>` : ''}
</section>`;
}

function facts(p: PaymentRow): string {
  return `<dl class="facts"><dt>Order</dt><dd>${escapeHtml(p.reference_order_id)}</dd><dt>Payment ID</dt><dd>${escapeHtml(p.payment_id)}</dd></dl>`;
}

/** Polls the status endpoint, counts down to expiry, and returns the shopper to the merchant once the payment is final. */
function pollScript(): string {
  return `(function(){
var cfg=JSON.parse(document.getElementById('sim-config').textContent);
var live=document.getElementById('live-status');
var cd=document.getElementById('countdown');
var deadline=Date.now()+cfg.remainingMs;
function tick(){if(!cd)return;var ms=Math.max(0,deadline-Date.now());var m=Math.floor(ms/60000),s=Math.floor(ms%60000/1000);cd.textContent=m+':'+(s<10?'0':'')+s;if(ms>0)setTimeout(tick,1000);}
tick();
var forms=document.querySelectorAll('form.pay-form');
forms.forEach(function(f){f.addEventListener('submit',function(){setTimeout(function(){f.querySelectorAll('button').forEach(function(b){b.disabled=true;});},0);});});
function poll(){
fetch(cfg.statusUrl,{headers:{accept:'application/json'},cache:'no-store'}).then(function(r){return r.json();}).then(function(s){
if(s.final){live.textContent=s.headline+'. Returning to the merchant…';forms.forEach(function(f){f.querySelectorAll('button,input').forEach(function(b){b.disabled=true;});});setTimeout(function(){window.location.assign(s.redirectUrl);},1000);return;}
if(s.status!==cfg.status){cfg.status=s.status;live.textContent=s.headline+'.';}
setTimeout(poll,1500);
}).catch(function(){setTimeout(poll,3000);});
}
setTimeout(poll,1500);
})();`;
}

export interface PageExtras {
  nonce: string;
  error?: string;
}

function config(ctx: SimContext, p: PaymentRow): string {
  return `<script type="application/json" id="sim-config">${scriptJson({
    statusUrl: `/simulator/status?codeValue=${encodeURIComponent(p.code_value)}`,
    status: p.status,
    remainingMs: Math.max(0, p.expires_at - ctx.clock.now()),
  })}</script>`;
}

function alert(error: string | undefined): string {
  return error ? `<div class="alert error" role="alert">${escapeHtml(error)}</div>` : '';
}

/** The desktop cashier (normalUrl for WEB): order summary, QR code for the wallet app, test buttons. */
export async function renderCashier(ctx: SimContext, p: PaymentRow, x: PageExtras): Promise<string> {
  const amount = displayAmount(p.amount, p.currency);
  const title = `${brandName(p.method)} Cashier – Pay ${formatAmount(p.amount, p.currency)}`;
  if (isFinal(p.status)) {
    return layout({
      title, nonce: x.nonce, phone: false,
      body: `${topbar(p.method, false)}<main class="cashier">${alert(x.error)}${resultBlock(p, true)}</main>`,
    });
  }
  const urls = shopperUrls(ctx, p);
  const svg = (await QRCode.toString(urls.walletUrl, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' }))
    .replace('<svg ', '<svg role="img" aria-label="QR code that opens this payment in your wallet app" ');
  const s = statusView(p);
  const body = `${topbar(p.method, false)}
<main class="cashier">
${alert(x.error)}
<section class="card" aria-labelledby="order-title">
<p class="muted">${escapeHtml(p.description)}</p>
<h1 id="order-title" class="amount">${escapeHtml(amount)}</h1>
<p class="muted">Expires in <span id="countdown" class="countdown">–</span></p>
${facts(p)}
</section>
<div class="grid">
<section class="card qr" aria-labelledby="qr-title">
<h2 id="qr-title">Scan with your wallet app</h2>
<div class="qr-box">${svg}</div>
<p class="muted">Or open <a href="${escapeHtml(urls.walletUrl)}">the wallet page</a> on this device.</p>
</section>
<section class="card" aria-labelledby="test-title">
<h2 id="test-title">Pay in test mode</h2>
${payForm(p, 'cashier')}
</section>
</div>
<p id="live-status" class="status" role="status" aria-live="polite">${escapeHtml(s.headline)}.</p>
</main>
${config(ctx, p)}`;
  return layout({ title, nonce: x.nonce, phone: false, body, script: pollScript() });
}

/** The wallet app's confirmation screen (normalUrl for WAP/APP, applinkUrl, the QR target). */
export function renderWallet(ctx: SimContext, p: PaymentRow, x: PageExtras): string {
  const merchant = ctx.merchantNames.get(p.client_id) ?? 'Merchant';
  const amount = displayAmount(p.amount, p.currency);
  const title = `${brandName(p.method)} – Confirm payment of ${formatAmount(p.amount, p.currency)}`;
  const s = statusView(p);
  const inner = isFinal(p.status)
    ? `${alert(x.error)}${resultBlock(p, true)}`
    : `${alert(x.error)}
<section class="card payee" aria-labelledby="payee-title">
<div class="avatar" aria-hidden="true">${escapeHtml(merchant.slice(0, 1).toUpperCase())}</div>
<p class="muted">Pay to merchant</p>
<h1 id="payee-title">${escapeHtml(merchant)}</h1>
<p class="muted">${escapeHtml(p.description)}</p>
<p class="amount">${escapeHtml(amount)}</p>
<p class="muted">Expires in <span id="countdown" class="countdown">–</span></p>
${facts(p)}
</section>
<section class="card" aria-label="Confirm payment">
${payForm(p, 'wallet')}
</section>
<p id="live-status" class="status" role="status" aria-live="polite">${escapeHtml(s.headline)}.</p>`;
  const body = `<div class="phone">${topbar(p.method, true)}<main>${inner}</main></div>${isFinal(p.status) ? '' : config(ctx, p)}`;
  return layout({ title, nonce: x.nonce, phone: true, body, ...(isFinal(p.status) ? {} : { script: pollScript() }) });
}

/** After a button: the outcome, then back to the merchant after a second (meta refresh, script, and a link). */
export function renderResult(p: PaymentRow, view: PageView, x: PageExtras): string {
  const target = escapeHtml(p.redirect_url);
  const script = `setTimeout(function(){window.location.assign(${scriptJson(p.redirect_url)});},1000);`;
  const phone = view === 'wallet';
  const main = `${topbar(p.method, phone)}<main${phone ? '' : ' class="cashier"'}>${resultBlock(p, true)}
<p class="muted" role="status">Returning you to the merchant…</p></main>`;
  return layout({
    title: `${statusView(p).headline} – ${brandName(p.method)}`,
    nonce: x.nonce,
    phone,
    head: `<meta http-equiv="refresh" content="1;url=${target}">`,
    body: phone ? `<div class="phone">${main}</div>` : main,
    script,
  });
}

export function renderNotFound(nonce: string): string {
  return layout({
    title: 'Payment not found',
    nonce,
    phone: false,
    body: `<header class="topbar"><span class="logo" aria-hidden="true">?</span><span class="brand">Cashier</span><span class="badge">Test mode</span></header>
<main class="cashier"><section class="card result failure" aria-labelledby="nf-title"><div class="icon" aria-hidden="true">?</div>
<h1 id="nf-title">Payment not found</h1><p>This payment link is not valid. Ask the merchant for a new one.</p></section></main>`,
  });
}
