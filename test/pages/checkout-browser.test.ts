/**
 * The hosted checkout end to end in a real browser (Debian's chromium via playwright-core): a
 * desktop that shows a QR code and waits, a phone that goes to the wallet app, a failed attempt
 * tried again, the cancel link and an expired session. Screenshots of both sizes are taken every
 * run; they replace the README's in docs/ only with UPDATE_SCREENSHOTS=1, so a test run leaves the
 * work tree as it found it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, startGateway, type TestGateway } from '../helpers/gateway.js';
import { chromiumSkip, launchChromium } from '../helpers/browser.js';

const skip = chromiumSkip;
const DOCS = process.env.UPDATE_SCREENSHOTS === '1'
  ? new URL('../../../docs/', import.meta.url).pathname
  : `${mkdtempSync(join(tmpdir(), 'opencashier-shots-'))}/`;
const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';

describe('hosted checkout in Chromium', { skip }, () => {
  let g: TestGateway;
  let browser: import('playwright-core').Browser;
  before(async () => {
    g = await startGateway({ store: 'pglite' });
    browser = await launchChromium();
    mkdirSync(DOCS, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    await g?.stop();
  });

  async function session(body: object) {
    const res = await g.api('POST', '/v1/checkout/sessions', {
      success_url: `${g.url}/healthz?session_id={CHECKOUT_SESSION_ID}`,
      cancel_url: `${g.url}/healthz?cancelled=1`,
      ...body,
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body;
  }

  const desktop = () => browser.newPage({ viewport: { width: 1280, height: 860 }, locale: 'en-US' });
  const phone = (locale = 'en-US') => browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, userAgent: IPHONE, locale });

  test('desktop: line items and total, a QR code without layout shift, the phone pays, the page goes to success_url', async () => {
    const cs = await session({
      payment_method_types: ['alipay'],
      line_items: [
        { price_data: { currency: 'CNY', unit_amount: 100000, product_data: { name: 'taiwan fengli', description: 'Pineapple cakes, box of 12' } }, quantity: 1 },
        { price_data: { currency: 'CNY', unit_amount: 3500, product_data: { name: 'Oolong tea' } }, quantity: 2 },
      ],
    });
    const page = await desktop();
    await page.goto(cs.url);
    const text = await page.locator('main').innerText();
    assert.match(text, /taiwan fengli/);
    assert.match(text, /Oolong tea/);
    assert.match(text, /CN¥1,070\.00/);
    const box = page.locator('[data-qr-box], .qr-box').first();
    const before = await box.boundingBox();
    await page.locator('#qr-code svg').waitFor();
    const afterBox = await box.boundingBox();
    assert.ok(before && afterBox && before.width === afterBox.width && before.height === afterBox.height, 'the QR box keeps its size when the code appears');
    await page.screenshot({ path: `${DOCS}checkout-desktop.png` });
    // The shopper scans the code with the phone: the QR encodes the wallet link.
    const walletUrl = await page.getByRole('link', { name: /open on this device/i }).getAttribute('href');
    assert.ok(walletUrl);
    const wallet = await phone();
    await wallet.goto(walletUrl!);
    await wallet.getByRole('button', { name: 'Authorize test payment', exact: true }).click();
    await page.waitForURL((u) => u.pathname === '/healthz', { timeout: 15_000 });
    assert.equal(new URL(page.url()).searchParams.get('session_id'), cs.id);
    const done = (await g.api('GET', `/v1/checkout/sessions/${cs.id}`)).body;
    assert.equal(done.status, 'complete');
    assert.equal(done.payment_status, 'paid');
    const events = await g.gateway.db.query<{ type: string }>('SELECT type FROM events WHERE object_id = $1', [cs.id]);
    assert.deepEqual(events.map((e) => e.type), ['checkout.session.completed']);
    await page.goto(cs.url);
    assert.match(await page.locator('main').innerText(), /Payment received/);
    assert.equal(await page.getByRole('button').count(), 0, 'a completed checkout offers nothing more to pay');
    await wallet.close();
    await page.close();
  });

  test('phone: Alipay+ offers only the wallets for the currency, then the wallet app, then success_url', async () => {
    const cs = await session({ locale: 'auto', payment_method_options: { alipayplus: {} }, line_items: [{ price_data: { currency: 'PHP', unit_amount: 30000, product_data: { name: 'Ensaymada' } }, quantity: 3 }] });
    const page = await phone();
    await page.goto(cs.url);
    const wallets = await page.getByRole('radio').evaluateAll((els) => els.map((e) => (e as any).labels?.[0]?.textContent?.replace(/\s+/g, ' ').trim()));
    assert.deepEqual(wallets.map((w: string) => w.replace(/^[A-Z] /, '')), ['GCash', 'BPI', 'Akulaku PayLater']);
    assert.ok((await page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth as number)) <= 390, 'no sideways scrolling');
    await page.screenshot({ path: `${DOCS}checkout-phone.png`, fullPage: true });
    await page.getByLabel(/GCash/).check();
    await page.getByRole('button', { name: /pay/i }).first().click();
    await page.waitForURL((u) => u.pathname.startsWith('/simulator/wallet'), { timeout: 15_000 });
    await page.getByRole('button', { name: 'Authorize test payment', exact: true }).click();
    await page.waitForURL((u) => u.pathname === '/healthz', { timeout: 15_000 });
    const pi = (await g.api('GET', `/v1/payment_intents/${cs.payment_intent}?expand[]=latest_charge`)).body;
    assert.equal(pi.status, 'succeeded');
    assert.equal(pi.latest_charge.payment_method_details.alipayplus.wallet, 'GCASH');
    await page.close();
  });

  test('a failed payment lets the shopper try again, and then pay', async () => {
    const cs = await session({ payment_method_types: ['alipay'], line_items: [{ price_data: { currency: 'HKD', unit_amount: 8800, product_data: { name: 'Egg tarts' } }, quantity: 1 }] });
    const page = await desktop();
    await page.goto(cs.url);
    await page.locator('#qr-code svg').waitFor();
    const walletUrl = (await page.getByRole('link', { name: /open on this device/i }).getAttribute('href'))!;
    await g.complete(walletUrl, 'failed', { failure_code: 'USER_BALANCE_NOT_ENOUGH' });
    await page.getByRole('alert').waitFor({ timeout: 10_000 });
    assert.match(await page.getByRole('alert').innerText(), /didn.t go through/i);
    await page.getByRole('button', { name: /try again|pay with alipay|show qr/i }).first().click();
    await page.locator('#qr-code svg').waitFor();
    const second = (await page.getByRole('link', { name: /open on this device/i }).getAttribute('href'))!;
    assert.notEqual(second, walletUrl, 'a new attempt');
    await g.complete(second, 'succeeded');
    await page.waitForURL((u) => u.pathname === '/healthz', { timeout: 15_000 });
    await page.close();
  });

  test('the cancel link returns to cancel_url; an expired session says so and takes no payment', async () => {
    const cs = await session({ locale: 'ja', payment_method_types: ['alipay'], line_items: [{ price_data: { currency: 'CNY', unit_amount: 500, product_data: { name: 'Tea' } }, quantity: 1 }] });
    const page = await phone('ja-JP');
    await page.goto(cs.url);
    assert.equal(await page.locator('html').getAttribute('lang'), 'ja');
    await page.getByRole('link', { name: /キャンセル/ }).click();
    await page.waitForURL((u) => u.searchParams.get('cancelled') === '1');
    await g.api('POST', `/v1/checkout/sessions/${cs.id}/expire`, {});
    await page.goto(cs.url);
    assert.equal(await page.getByRole('button').count(), 0, 'no payment controls');
    assert.match(await page.locator('main').innerText(), /期限/);
    const post = await fetch(`${g.url}/pay/${cs.id}`, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify({ method: 'alipay' }) });
    assert.equal(post.status, 400);
    await page.close();
  });

  test('the language follows the session locale, else the browser\'s Accept-Language', async () => {
    const cs = await session({ payment_method_types: ['alipay'], line_items: [{ price_data: { currency: 'CNY', unit_amount: 500, product_data: { name: 'Tea' } }, quantity: 1 }] });
    for (const [acceptLanguage, lang] of [['zh-CN', 'zh-Hans'], ['zh-TW', 'zh-Hant'], ['th-TH', 'th'], ['id-ID', 'id'], ['nl-NL', 'nl'], ['es-ES', 'es'], ['ms-MY', 'ms'], ['fil-PH', 'fil']] as const) {
      const res = await fetch(cs.url, { headers: { 'Accept-Language': acceptLanguage } });
      const html = await res.text();
      assert.match(html, new RegExp(`<html[^>]+lang="${lang}"`), acceptLanguage);
    }
  });
});
