/**
 * The merchant dashboard end to end in a real browser (Debian's chromium via playwright-core): a
 * person signs in with the keyboard, finds an API payment by its id and by its metadata, refunds
 * part of it and sees the refund in the API, watches a forged form from another page get refused,
 * finds a Trust Payments AUTH in the same list, and reads every page on a 375 px phone without
 * sideways scrolling.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eventually, startGateway, type TestGateway } from '../helpers/gateway.js';
import { chromiumSkip, launchChromium } from '../helpers/browser.js';
import { seedTrustPayments, tp } from '../helpers/webservices.js';
import { SEED_004_AUTH } from '../helpers/seeds.js';

const PASSWORD = 'dashboard-browser-test-pw';
const cli = new URL('../../src/cli.js', import.meta.url).pathname;
// The README's screenshots are rewritten only on request; a normal run writes them to a temporary folder.
const DOCS = process.env.UPDATE_SCREENSHOTS === '1'
  ? new URL('../../../docs/', import.meta.url).pathname
  : `${mkdtempSync(join(tmpdir(), 'opencashier-dashboard-shots-'))}/`;

describe('merchant dashboard in Chromium', { skip: chromiumSkip }, () => {
  let g: TestGateway;
  let browser: import('playwright-core').Browser;
  let evil: Server;
  let evilUrl = '';
  let forgedTarget = '';
  before(async () => {
    g = await startGateway({ store: 'pglite', env: { OPENCASHIER_DASHBOARD_PASSWORD: PASSWORD } });
    await seedTrustPayments(g);
    browser = await launchChromium();
    // Another site's page that posts a form at the dashboard as soon as it loads (classic CSRF).
    evil = createServer((_req, res) => {
      res.setHeader('Content-Type', 'text/html');
      res.end(`<!doctype html><form id="f" method="post" action="${forgedTarget}"><input name="x" value="1"></form><script>document.getElementById('f').submit()</script>`);
    });
    await new Promise<void>((r) => evil.listen(0, '127.0.0.1', r));
    evilUrl = `http://localhost:${(evil.address() as AddressInfo).port}/`;
  });
  after(async () => {
    await browser?.close();
    await new Promise((r) => evil?.close(r));
    await g?.stop();
  });

  async function paidPayment(amount: number, currency: string, metadata: Record<string, string>, description: string) {
    const pi = (await g.api('POST', '/v1/payment_intents', {
      amount, currency, confirm: true, payment_method_data: { type: 'alipay' }, return_url: 'https://shop.example/done', metadata, description,
    })).body;
    assert.equal(pi.status, 'requires_action', JSON.stringify(pi));
    assert.equal((await g.complete(pi.next_action.redirect_to_url.url, 'succeeded')).status, 200);
    await eventually(async () => (await g.api('GET', `/v1/payment_intents/${pi.id}`)).body.status === 'succeeded');
    return pi;
  }

  async function signedInPage(viewport = { width: 1280, height: 900 }) {
    const context = await browser.newContext({ viewport, locale: 'en-US' });
    const page = await context.newPage();
    await page.goto(`${g.url}/`);
    await page.waitForURL(/\/dashboard\/login/);
    // Keyboard only: the field takes focus by itself (autofocus), type, Enter.
    await page.waitForFunction("document.activeElement && document.activeElement.id === 'secret'");
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await page.waitForURL((u) => u.pathname === '/dashboard');
    return page;
  }

  test('sign in with the keyboard; the overview says Test mode and shows the last 30 days', async () => {
    await paidPayment(2000, 'usd', { order_id: 'ORD-OVERVIEW' }, 'Overview payment');
    const page = await signedInPage();
    assert.match(await page.locator('.test-banner').innerText(), /Test mode/);
    assert.match(await page.locator('main').innerText(), /Succeeded payments/);
    assert.equal(await page.locator('svg.chart').count() >= 1, true, 'the chart is drawn');
    // Visible focus: the first Tab lands on the skip link, which shows an outline.
    await page.keyboard.press('Tab');
    const outline = await page.evaluate<string>('getComputedStyle(document.activeElement).outlineStyle');
    assert.notEqual(outline, 'none');
    await page.context().close();
  });

  test('find an API payment by id and by metadata; refund part of it; the refund is in /v1/refunds and a charge.refunded event', async () => {
    const pi = await paidPayment(2000, 'usd', { order_id: 'ORD-77123', customer: 'Mei Lin' }, 'Pineapple cakes');
    const page = await signedInPage();
    page.on('dialog', (d) => void d.accept());
    await page.goto(`${g.url}/dashboard/payments`);
    await page.getByLabel('Search by id, order reference or metadata value').fill(pi.id);
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/q=pi_/);
    const rows = page.locator('table.list tbody tr');
    assert.equal(await rows.count(), 1);
    assert.match(await rows.first().innerText(), /\$20\.00/);

    await page.getByLabel('Search by id, order reference or metadata value').fill('ORD-77123');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/q=ORD-77123/);
    assert.equal(await rows.count(), 1);
    assert.match(await rows.first().innerText(), new RegExp(pi.id));
    await page.getByRole('link', { name: pi.id }).click();
    await page.waitForURL(new RegExp(`/dashboard/payments/${pi.id}$`));
    assert.match(await page.locator('h1').innerText(), /Payment of \$20\.00/);
    assert.match(await page.locator('.timeline').innerText(), /payment_intent\.succeeded/);

    // A refund larger than what remains is refused in plain words, and the typed amount stays.
    await page.getByLabel(/^Amount/).fill('25.00');
    await page.getByRole('button', { name: 'Refund', exact: true }).click();
    await page.locator('.notice-error').waitFor();
    assert.match(await page.locator('.notice-error').innerText(), /greater than what remains to refund/);
    assert.equal(await page.getByLabel(/^Amount/).inputValue(), '25.00');

    await page.getByLabel(/^Amount/).fill('5.00');
    await page.getByLabel('Reason').selectOption('requested_by_customer');
    await page.getByRole('button', { name: 'Refund', exact: true }).click();
    await page.waitForURL(/done=refunded/);
    assert.match(await page.locator('.notice-ok').innerText(), /Refund sent/);

    const refunds = (await g.api('GET', `/v1/refunds?payment_intent=${pi.id}`)).body.data;
    assert.equal(refunds.length, 1);
    assert.equal(refunds[0].amount, 500);
    assert.equal(refunds[0].reason, 'requested_by_customer');
    const event = await eventually(async () => (await g.api('GET', '/v1/events?type=charge.refunded')).body.data.find((e: any) => e.data.object.payment_intent === pi.id));
    assert.equal(event.data.object.amount_refunded, 500);
    // The page shows it too, and offers only what remains.
    await page.reload();
    const detail = await page.locator('main').innerText();
    assert.match(detail, /Up to \$15\.00 can still be refunded/);
    // The calls to Antom behind it: the pay request, then the refund, each with its latency.
    const calls = await page.locator('h3:has-text("Calls to Antom") + .table-wrap').innerText();
    assert.match(calls, /pay[\s\S]*\d+ ms[\s\S]*refund[\s\S]*\d+ ms/);
    await page.context().close();
  });

  test('a form posted from another site is refused (no CSRF token) and changes nothing', async () => {
    const pi = (await g.api('POST', '/v1/payment_intents', { amount: 1500, currency: 'usd', payment_method_types: ['alipay'] })).body;
    const page = await signedInPage();
    forgedTarget = `${g.url}/dashboard/payments/${pi.id}/cancel`;
    const answer = page.waitForResponse((r) => r.url() === forgedTarget);
    await page.goto(evilUrl);
    const res = await answer;
    assert.equal(res.status(), 403);
    await page.waitForURL(forgedTarget);
    assert.match(await page.locator('h1').innerText(), /Form refused/);
    assert.equal((await g.api('GET', `/v1/payment_intents/${pi.id}`)).body.status, 'requires_payment_method');
    // The dashboard's own Cancel button does it.
    page.on('dialog', (d) => void d.accept());
    await page.goto(`${g.url}/dashboard/payments/${pi.id}`);
    await page.getByRole('button', { name: 'Cancel payment' }).click();
    await page.waitForURL(/done=canceled/);
    assert.equal((await g.api('GET', `/v1/payment_intents/${pi.id}`)).body.status, 'canceled');
    await page.context().close();
  });

  test('a Trust Payments AUTH appears in the same list as the API payments, with its order reference', async () => {
    const auth = await tp(g, { ...SEED_004_AUTH, orderreference: 'TP-ORDER-4242' });
    assert.equal(auth.errorcode, '0', JSON.stringify(auth));
    const page = await signedInPage();
    await page.goto(`${g.url}/dashboard/payments`);
    const list = await page.locator('table.list tbody').innerText();
    assert.match(list, /Trust Payments/);
    assert.match(list, /TP-ORDER-4242/);
    assert.match(list, /Pineapple cakes/, 'API payments are in the same list');
    await page.goto(`${g.url}/dashboard/payments?q=${encodeURIComponent(auth.transactionreference)}`);
    assert.equal(await page.locator('table.list tbody tr').count(), 1);
    await page.locator('table.list tbody tr a').first().click();
    assert.match(await page.locator('main').innerText(), new RegExp(auth.transactionreference));
    await page.context().close();
  });

  test('add a webhook endpoint, see its first delivery attempt, disable it, delete it', async () => {
    const received: string[] = [];
    const receiver = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        received.push(req.url ?? '');
        res.end('ok');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
      const page = await signedInPage();
      page.on('dialog', (d) => void d.accept());
      await page.goto(`${g.url}/dashboard/webhooks`);
      await page.getByLabel('Endpoint URL').fill(url);
      await page.getByLabel('Description').fill('Order service');
      await page.getByLabel('All events').check();
      await page.getByRole('button', { name: 'Add endpoint' }).click();
      await page.locator('#endpoint-secret').waitFor();
      assert.match((await page.locator('#endpoint-secret').innerText()), /^whsec_/);
      // The answer to the form is the new endpoint's page (the secret is shown there once); its address is the endpoint's id.
      const made = ((await g.api('GET', '/v1/webhook_endpoints?limit=100')).body.data as { id: string; url: string }[]).find((w) => w.url === url)!;
      const endpointPage = `${g.url}/dashboard/webhooks/${made.id}`;
      // An event for it: a payment made through the API.
      await g.api('POST', '/v1/payment_intents', { amount: 1200, currency: 'usd', payment_method_types: ['alipay'] });
      await eventually(async () => received.length > 0);
      const attempts = await eventually(async () => {
        await page.goto(endpointPage);
        const text = await page.locator('main').innerText();
        return /#1 .*HTTP 200 · \d+ ms/.test(text) ? text : undefined;
      });
      assert.match(attempts, /payment_intent\.created/);
      await page.getByRole('button', { name: 'Disable' }).click();
      await page.waitForURL(/done=disabled/);
      const id = made.id;
      assert.equal((await g.api('GET', `/v1/webhook_endpoints/${id}`)).body.status, 'disabled');
      await page.getByRole('button', { name: 'Delete endpoint' }).click();
      await page.waitForURL(/done=deleted/);
      assert.equal((await g.api('GET', `/v1/webhook_endpoints/${id}`)).status, 404);
      await page.context().close();
    } finally {
      receiver.closeAllConnections();
      await new Promise((r) => receiver.close(r));
    }
  });

  test('a dispute: found among those awaiting an answer, evidence typed and sent to Alipay from its page', async () => {
    const pi = await paidPayment(3100, 'usd', { order_id: 'ORD-DISPUTED' }, 'Tea set');
    const opened = await fetch(`${g.url}/simulator/v1/disputes`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ payment_intent: pi.id, reason: 'The goods were not received.' }),
    });
    assert.equal(opened.status, 200);
    const dispute = await eventually(async () => (await g.api('GET', `/v1/disputes?payment_intent=${pi.id}`)).body.data[0]);
    const page = await signedInPage();
    page.on('dialog', (d) => void d.accept());
    await page.getByRole('link', { name: 'Disputes' }).click();
    await page.waitForURL(/\/dashboard\/disputes$/);
    const awaiting = page.locator('table.list').first().locator('tbody tr', { hasText: pi.id });
    assert.match(await awaiting.innerText(), /\$31\.00[\s\S]*Needs response[\s\S]*in 6 days/);
    await awaiting.locator('td').first().click();
    await page.waitForURL(new RegExp(`/dashboard/disputes/${dispute.id}$`));
    await page.getByLabel('Your response').fill('Delivered and signed for on 3 May.');
    await page.getByRole('button', { name: 'Save and send to Alipay' }).click();
    await page.waitForURL(/done=submitted/);
    assert.match(await page.locator('[role=status]').innerText(), /Evidence sent to Alipay/);
    assert.match(await page.locator('.grid').innerText(), /Under review/);
    const api = (await g.api('GET', `/v1/disputes/${dispute.id}`)).body;
    assert.equal(api.status, 'under_review');
    assert.equal(api.evidence.uncategorized_text, 'Delivered and signed for on 3 May.');
    await page.context().close();
  });

  test('on a 375 px phone no page scrolls sideways', async () => {
    const page = await signedInPage({ width: 375, height: 800 });
    const someId = (await g.api('GET', '/v1/payment_intents?limit=1')).body.data[0].id;
    const dispute = (await g.api('GET', '/v1/disputes?limit=1')).body.data[0];
    for (const path of ['/dashboard', '/dashboard/payments', `/dashboard/payments/${someId}`, '/dashboard/refunds', '/dashboard/disputes',
      ...(dispute ? [`/dashboard/disputes/${dispute.id}`] : []), '/dashboard/balance', '/dashboard/webhooks', '/dashboard/developers', '/dashboard/events', '/dashboard/trust-payments']) {
      const res = await page.goto(`${g.url}${path}`);
      assert.equal(res?.status(), 200, path);
      const width = await page.evaluate<number>('document.documentElement.scrollWidth');
      assert.ok(width <= 375, `${path} is ${width} px wide`);
    }
    await page.context().close();
  });
});

describe('the dashboard over sample data (opencashier seed), as the README shows it', { skip: chromiumSkip }, () => {
  let g: TestGateway;
  let browser: import('playwright-core').Browser;
  before(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'opencashier-dashboard-seed-'));
    const env = { DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'warn', OPENCASHIER_DASHBOARD_PASSWORD: PASSWORD, DATABASE_URL: '', OPENCASHIER_TEST_SECRET_KEY: '' };
    const code = await new Promise<number | null>((resolve) => {
      const p = spawn(process.execPath, [cli, 'seed', '--payments', '80'], { env: { ...process.env, ...env }, stdio: 'ignore' });
      p.on('exit', resolve);
    });
    assert.equal(code, 0, 'the seed ran');
    g = await startGateway({ store: 'pglite', reuse: { dataDir }, workers: false, env: { OPENCASHIER_DASHBOARD_PASSWORD: PASSWORD } });
    browser = await launchChromium();
    mkdirSync(DOCS, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    await g?.stop();
  });

  test('overview with a month of payments in several currencies, the payments list, and a refunded payment\'s page', { timeout: 120_000 }, async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
    await page.goto(`${g.url}/dashboard/login`);
    await page.getByLabel('Password or secret key').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => u.pathname === '/dashboard');
    const perCurrency = page.locator('table.list tbody tr');
    assert.ok(await perCurrency.count() >= 3, 'several currencies in the last 30 days');
    assert.ok(await page.locator('svg.chart polyline').count() >= 3, 'one line per currency');
    await page.screenshot({ path: `${DOCS}dashboard-overview.png`, fullPage: true });

    await page.goto(`${g.url}/dashboard/payments`);
    assert.equal(await page.locator('table.list tbody tr').count(), 25, 'a full first page');
    assert.ok(await page.locator('a[rel=next]').count() === 1, 'and an older page');
    await page.screenshot({ path: `${DOCS}dashboard-payments.png` });

    // A payment refunded in part: its page has the refund, the timeline and the calls to Antom.
    await page.goto(`${g.url}/dashboard/refunds?status=succeeded`);
    await page.locator('table.list tbody tr a').first().click();
    await page.waitForURL(/\/dashboard\/payments\/pi_/);
    const text = await page.locator('main').innerText();
    assert.match(text, /charge\.refunded/);
    assert.match(text, /Calls to Antom/);
    await page.screenshot({ path: `${DOCS}dashboard-payment.png`, fullPage: true });
    await page.close();
  });
});
