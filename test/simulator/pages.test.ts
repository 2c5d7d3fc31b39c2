import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { complete, createPayment, startSimulator, type Harness } from './helpers.js';

let h: Harness;
before(async () => {
  h = await startSimulator({ worker: false });
});
after(async () => {
  await h.close();
});

async function page(url: string): Promise<{ status: number; html: string; headers: Headers }> {
  const res = await fetch(url, { redirect: 'manual' });
  return { status: res.status, html: await res.text(), headers: res.headers };
}

async function submit(form: Record<string, string>): Promise<Response> {
  return fetch(`${h.baseUrl}/simulator/pay`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
    redirect: 'manual',
  });
}

/** The wallet radio buttons: [name, enabled, note]. */
function walletOptions(html: string): [string, boolean, string | undefined][] {
  const out: [string, boolean, string | undefined][] = [];
  for (const m of html.matchAll(/<label class="wallet-option[^"]*"[^>]*>(.*?)<\/label>/gs)) {
    const inner = m[1]!;
    const name = /<span class="wallet-name">([^<]*)<\/span>/.exec(inner)![1]!;
    const note = /<span class="wallet-note"[^>]*>([^<]*)<\/span>/.exec(inner)?.[1];
    out.push([name, !/ disabled/.test(/<input[^>]*>/.exec(inner)![0]), note]);
  }
  return out;
}

const BUTTONS = /<button[^>]*>Authorize test payment<\/button>[\s\S]*<button[^>]*>Fail test payment<\/button>/;

test('the Alipay+ cashier for PHP lists GCash, BPI and Akulaku PayLater as a wallet choice, not DANA, beside a QR code', async () => {
  const p = await createPayment(h, { currency: 'PHP', amount: 30000, description: 'Blue mug' });
  const { status, html, headers } = await page(p.normalUrl);
  assert.equal(status, 200);
  assert.match(headers.get('content-type')!, /text\/html/);
  assert.match(html, /<html lang="en">/);
  assert.deepEqual(walletOptions(html).map((o) => o[0]), ['GCash', 'BPI', 'Akulaku PayLater']);
  assert.ok(walletOptions(html).every((o) => o[1]));
  assert.doesNotMatch(html, /DANA/);
  assert.match(html, /<legend>Choose your wallet<\/legend>/);
  assert.match(html, /type="radio"[^>]*name="wallet"[^>]*required/);
  assert.match(html, /<svg role="img" aria-label="[^"]+"[^>]*viewBox/);
  assert.match(html, /Scan with your wallet app/);
  assert.match(html, BUTTONS);
  assert.match(html, /Blue mug/);
  assert.match(html, /₱300\.00/);
  assert.match(html, /role="status"/);
  assert.match(html, /setTimeout\(poll,1500\)/);
  const csp = headers.get('content-security-policy')!;
  assert.match(csp, /script-src 'nonce-/);
  const nonce = /script-src 'nonce-([^']+)'/.exec(csp)![1]!;
  assert.ok(html.includes(`<script nonce="${nonce}">`));
});

test('an HKD Alipay+ order offers AlipayHK only', async () => {
  const p = await createPayment(h, { currency: 'HKD', amount: 10000 });
  const { html } = await page(p.normalUrl);
  assert.deepEqual(walletOptions(html).map((o) => o[0]), ['AlipayHK']);
  assert.match(html, /HK\$100\.00/);
});

test('a wallet below its minimum is shown disabled with the reason', async () => {
  const p = await createPayment(h, { currency: 'IDR', amount: 10000 });
  const { html } = await page(p.normalUrl);
  assert.deepEqual(walletOptions(html), [['DANA', false, 'Minimum IDR 300.00'], ['Akulaku PayLater', true, undefined]]);
  assert.match(html, /aria-describedby="wallet-DANA-note"/);
});

test('the phone wallet page for WAP shows the confirmation, the wallet choice and both buttons', async () => {
  const p = await createPayment(h, { terminalType: 'WAP', description: 'Green tea' });
  assert.equal(new URL(p.normalUrl).pathname, '/simulator/wallet');
  const { status, html } = await page(p.normalUrl);
  assert.equal(status, 200);
  assert.match(html, /class="phone"/);
  assert.match(html, /name="viewport"/);
  assert.match(html, /Pay to merchant/);
  // The payee is the merchant (OPENCASHIER_ACCOUNT_NAME on a gateway), the order's description beneath.
  assert.match(html, /<h1 id="payee-title">Lantern Tea House<\/h1>/);
  assert.match(html, /Green tea/);
  assert.deepEqual(walletOptions(html).map((o) => o[0]), ['GCash', 'BPI', 'Akulaku PayLater']);
  assert.match(html, BUTTONS);
  assert.doesNotMatch(html, /<svg/);
});

test('an Alipay payment has no wallet choice; Authorize pays with Alipay and the result page returns to the merchant', async () => {
  const p = await createPayment(h, { upstreamMethod: 'ALIPAY_CN', currency: 'CNY', amount: 1, redirectUrl: 'https://shop.example/return?o=1&x=<y>' });
  const { html } = await page(p.normalUrl);
  assert.deepEqual(walletOptions(html), []);
  assert.match(html, /Alipay Cashier/);
  const code = new URL(p.normalUrl).searchParams.get('codeValue')!;
  const res = await submit({ codeValue: code, view: 'cashier', action: 'authorize' });
  assert.equal(res.status, 303);
  const location = res.headers.get('location')!;
  assert.match(location, /^\/simulator\/result\?codeValue=/);
  const result = await page(h.baseUrl + location);
  assert.equal(result.status, 200);
  assert.match(result.html, /Payment successful/);
  assert.match(result.html, /<meta http-equiv="refresh" content="1;url=https:\/\/shop\.example\/return\?o=1&#38;x=&#60;y&#62;">/);
  assert.match(result.html, /<a class="button" href="https:\/\/shop\.example\/return\?o=1&#38;x=&#60;y&#62;">Return to merchant<\/a>/);
  const out = await h.client.inquiryPayment(p.req.paymentRequestId);
  assert.equal(out.status, 'succeeded');
  assert.equal((out as { wallet?: string }).wallet, 'ALIPAY_CN');
});

test('Authorize on the Alipay+ cashier needs a wallet; with one it pays with that wallet', async () => {
  const p = await createPayment(h);
  const code = new URL(p.normalUrl).searchParams.get('codeValue')!;
  const missing = await submit({ codeValue: code, view: 'cashier', action: 'authorize' });
  assert.equal(missing.status, 400);
  const missingHtml = await missing.text();
  assert.match(missingHtml, /role="alert">Choose your wallet first\./);
  assert.match(missingHtml, BUTTONS);
  const dana = await submit({ codeValue: code, view: 'cashier', action: 'authorize', wallet: 'DANA' });
  assert.equal(dana.status, 400);
  const ok = await submit({ codeValue: code, view: 'wallet', action: 'authorize', wallet: 'AKULAKU_PAYLATER_PH' });
  assert.equal(ok.status, 303);
  assert.match(ok.headers.get('location')!, /view=wallet/);
  const out = await h.client.inquiryPayment(p.req.paymentRequestId);
  assert.equal((out as { wallet?: string }).wallet, 'AKULAKU_PAYLATER_PH');
});

test('Fail test payment fails the payment and the page says so', async () => {
  const p = await createPayment(h, { terminalType: 'APP' });
  const code = new URL(p.normalUrl).searchParams.get('codeValue')!;
  const res = await submit({ codeValue: code, view: 'wallet', action: 'fail', wallet: 'GCASH' });
  assert.equal(res.status, 303);
  const result = await page(h.baseUrl + res.headers.get('location')!);
  assert.match(result.html, /Payment failed/);
  assert.match(result.html, /Return to merchant/);
  assert.equal((await h.client.inquiryPayment(p.req.paymentRequestId)).status, 'failed');
});

test('a paid payment\'s pages say so plainly and offer no buttons; pressing again is refused', async () => {
  const p = await createPayment(h);
  await complete(h, p.normalUrl, 'succeeded', { wallet: 'GCASH' });
  for (const url of [p.normalUrl, p.applinkUrl]) {
    const { status, html } = await page(url);
    assert.equal(status, 200);
    assert.match(html, /Payment successful/);
    assert.match(html, /paid with GCash/);
    assert.match(html, /Return to merchant/);
    assert.doesNotMatch(html, /Authorize test payment|Fail test payment/);
  }
  const code = new URL(p.normalUrl).searchParams.get('codeValue')!;
  const again = await submit({ codeValue: code, view: 'cashier', action: 'fail' });
  assert.equal(again.status, 409);
  assert.doesNotMatch(await again.text(), /Fail test payment/);
});

test('an expired payment shows as expired with no buttons', async () => {
  const p = await createPayment(h);
  h.clock.offset += 15 * 60_000;
  const { html } = await page(p.normalUrl);
  assert.match(html, /Payment expired/);
  assert.doesNotMatch(html, /Authorize test payment/);
});

test('the status endpoint tells the page when to return to the merchant', async () => {
  const p = await createPayment(h, { redirectUrl: 'https://shop.example/back' });
  const code = new URL(p.normalUrl).searchParams.get('codeValue')!;
  const open = await (await fetch(`${h.baseUrl}/simulator/status?codeValue=${code}`)).json() as Record<string, unknown>;
  assert.deepEqual([open.status, open.final, open.redirectUrl], ['PROCESSING', false, undefined]);
  await complete(h, p.normalUrl, 'succeeded', { wallet: 'BPI' });
  const done = await (await fetch(`${h.baseUrl}/simulator/status?codeValue=${code}`)).json() as Record<string, unknown>;
  assert.deepEqual([done.status, done.final, done.redirectUrl], ['SUCCESS', true, 'https://shop.example/back']);
  assert.equal((await fetch(`${h.baseUrl}/simulator/status?codeValue=nope`)).status, 404);
});

test('an unknown codeValue is a 404 page', async () => {
  for (const path of ['/simulator/cashier?codeValue=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', '/simulator/wallet', '/simulator/result?codeValue=x']) {
    const { status, html } = await page(h.baseUrl + path);
    assert.equal(status, 404, path);
    assert.match(html, /Payment not found/);
  }
});

test('text from the merchant is escaped', async () => {
  const p = await createPayment(h, { description: '<script>alert("x")</script> & co' });
  const { html } = await page(p.normalUrl);
  assert.doesNotMatch(html, /<script>alert/);
  assert.match(html, /&#60;script&#62;alert\(&#34;x&#34;\)&#60;\/script&#62; &#38; co/);
});
