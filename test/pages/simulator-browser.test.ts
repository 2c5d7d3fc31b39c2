/** The wallet cashier in a real browser (Debian's chromium driven by playwright-core). */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, startGateway, type TestGateway } from '../helpers/gateway.js';
import { chromiumSkip, launchChromium } from '../helpers/browser.js';

const skip = chromiumSkip;

describe('simulator cashier in Chromium', { skip }, () => {
  let g: TestGateway;
  let browser: import('playwright-core').Browser;
  before(async () => {
    g = await startGateway({ store: 'pglite' });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await g?.stop();
  });

  async function create(body: object) {
    const res = await g.api('POST', '/v1/payment_intents', { confirm: true, return_url: `${g.url}/healthz`, ...body });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body;
  }

  test('desktop: QR code of the wallet link, "Authorize test payment", then back to the merchant with the PaymentIntent succeeded', async () => {
    const pi = await create({ amount: 2000, currency: 'CNY', payment_method_data: { type: 'alipay' }, payment_method_options: { alipay: { terminal_type: 'WEB' } } });
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    await page.goto(pi.next_action.redirect_to_url.url);
    assert.equal(await page.locator('svg').count() >= 1, true);
    await page.getByRole('button', { name: 'Authorize test payment', exact: true }).click();
    await page.waitForURL((u) => u.pathname === '/healthz', { timeout: 15_000 });
    const back = new URL(page.url());
    assert.equal(back.searchParams.get('payment_intent'), pi.id);
    assert.equal(back.searchParams.get('redirect_status'), 'succeeded');
    await eventually(async () => (await g.api('GET', `/v1/payment_intents/${pi.id}`)).body.status === 'succeeded');
    await page.close();
  });

  test('phone: the Alipay+ wallet page offers only wallets for the currency; a wallet must be chosen first', async () => {
    const pi = await create({ amount: 30000, currency: 'PHP', payment_method_data: { type: 'alipayplus' }, payment_method_options: { alipayplus: { terminal_type: 'WAP' } } });
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    await page.goto(pi.next_action.redirect_to_url.url);
    const wallets = await page.getByRole('radio').evaluateAll((els) => els.map((e) => (e as any).labels?.[0]?.textContent?.trim()));
    assert.deepEqual(wallets, ['GCash', 'BPI', 'Akulaku PayLater']);
    const width = await page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth as number);
    assert.ok(width <= 390, `no horizontal scrolling on a phone (content is ${width}px wide)`);
    await page.getByRole('button', { name: 'Authorize test payment', exact: true }).click();
    assert.notEqual(new URL(page.url()).pathname, '/healthz', 'without a wallet the form does not submit');
    await page.getByLabel('GCash').check();
    await page.getByRole('button', { name: 'Authorize test payment', exact: true }).click();
    await page.waitForURL((u) => u.pathname === '/healthz', { timeout: 15_000 });
    const paid = await eventually(async () => {
      const p = (await g.api('GET', `/v1/payment_intents/${pi.id}?expand[]=latest_charge`)).body;
      return p.status === 'succeeded' ? p : undefined;
    });
    assert.equal(paid.latest_charge.payment_method_details.alipayplus.wallet, 'GCASH');
    await page.close();
  });

  test('"Fail test payment" returns the shopper with redirect_status=failed', async () => {
    const pi = await create({ amount: 500, currency: 'HKD', payment_method_data: { type: 'alipay' } });
    const page = await browser.newPage();
    await page.goto(pi.next_action.redirect_to_url.url);
    await page.getByRole('button', { name: 'Fail test payment', exact: true }).click();
    await page.waitForURL((u) => u.pathname === '/healthz', { timeout: 15_000 });
    assert.equal(new URL(page.url()).searchParams.get('redirect_status'), 'failed');
    await page.close();
  });
});
