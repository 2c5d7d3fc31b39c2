/** The page at `/`: what this gateway is, where its doors are, and a first request to try. */
import type { Bootstrap } from '../store/accounts.js';
import { esc } from './html.js';

export interface HomeInfo {
  publicUrl: string;
  simulator: boolean;
  live: boolean;
  account: Bootstrap;
}

export function homePage(info: HomeInfo): string {
  const u = esc(info.publicUrl);
  const key = esc(info.account.secretDisplay);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>OpenCashier gateway</title>
<style>
  :root { color-scheme: light; --ink:#1a1f36; --muted:#4f566b; --line:#e3e8ee; --brand:#1677ff; }
  body { margin:0; font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; color:var(--ink); background:#f6f9fc; }
  main { max-width:760px; margin:0 auto; padding:40px 20px 64px; }
  h1 { font-size:28px; margin:0 0 4px; } h2 { font-size:18px; margin:32px 0 8px; }
  .tag { display:inline-block; padding:2px 10px; border-radius:999px; background:#e6f0ff; color:#0b4dbf; font-size:13px; font-weight:600; }
  table { width:100%; border-collapse:collapse; background:#fff; border:1px solid var(--line); border-radius:8px; overflow:hidden; }
  th, td { text-align:left; padding:10px 14px; border-bottom:1px solid var(--line); vertical-align:top; }
  th { width:34%; color:var(--muted); font-weight:500; }
  code, pre { font:14px/1.5 ui-monospace,SFMono-Regular,Menlo,monospace; }
  pre { background:#0f172a; color:#e2e8f0; padding:16px; border-radius:8px; overflow-x:auto; }
  a { color:#0b57d0; } a:focus-visible { outline:3px solid var(--brand); outline-offset:2px; }
  p.muted { color:var(--muted); }
</style></head>
<body><main>
  <h1>OpenCashier</h1>
  <p><span class="tag">${info.live ? 'test and live mode' : 'test mode'}</span> ${info.simulator ? '<span class="tag">Antom simulator on</span>' : ''}</p>
  <p class="muted">A self-hosted gateway for Alipay and Alipay+ wallets. Point the official <code>stripe</code> SDK at this host, or send the JSON from the guides.</p>
  <h2>Where things are</h2>
  <table>
    <tr><th scope="row">Account</th><td>${esc(info.account.accountName)} (<code>${esc(info.account.accountId)}</code>)</td></tr>
    <tr><th scope="row">API</th><td><code>${u}/v1</code></td></tr>
    <tr><th scope="row">Secret key</th><td><code>${key}</code> (shown in full once, at first start)</td></tr>
    <tr><th scope="row">Publishable key</th><td><code>${esc(info.account.publishableDisplay)}</code></td></tr>
    <tr><th scope="row">Antom notifications</th><td><code>${u}/antom/notify</code></td></tr>
    ${info.simulator ? `<tr><th scope="row">Simulator</th><td>Antom API at <code>${u}/ams/api/v1/payments/…</code>; complete payments by script with <code>POST ${u}/simulator/v1/complete</code></td></tr>` : ''}
  </table>
  <h2>Take a first payment</h2>
<pre>curl ${u}/v1/payment_intents -u ${key}: \\
  -H 'Content-Type: application/json' -d '{
    "amount": 20, "currency": "CNY", "confirm": true,
    "payment_method_data": {"type": "alipay"},
    "payment_method_options": {"alipay": {"terminal_type": "WEB"}},
    "return_url": "https://example.com/done"}'</pre>
  <p>Open <code>next_action.redirect_to_url.url</code> from the answer: the simulator shows the wallet's cashier with a QR code and the buttons <em>Authorize test payment</em> and <em>Fail test payment</em>.</p>
</main></body></html>`;
}

/** A browser that asked for a page we do not have. */
export function notFoundPage(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Not found – OpenCashier</title>
<style>body{margin:0;font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1f36;background:#f6f9fc}main{max-width:560px;margin:0 auto;padding:64px 20px}a{color:#0b57d0}</style>
</head><body><main><h1>Page not found</h1><p>This gateway has no page here. Its home page is <a href="/">/</a>; the API lives under <code>/v1</code>.</p></main></body></html>`;
}
