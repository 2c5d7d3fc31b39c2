/**
 * The dashboard's Webhooks and Developers sections against a real gateway, signed in as a browser
 * would be (cookies, the CSRF token read from the page): endpoints added (secret once), edited,
 * disabled, enabled and deleted; a payment's webhook and its attempts on the endpoint page; an
 * event resent and verified by the stripe SDK; the event log's filters; API keys rolled; Trust
 * Payments rules added and removed. Every change is checked through /v1 or the store, not only
 * on the page.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import Stripe from 'stripe';
import { eventually, startGateway, stores, type TestGateway } from '../helpers/gateway.js';
import { SEED_000_WEB } from '../helpers/seeds.js';
import { addRule, listRules } from '../../src/store/tp-accounts.js';
import { chromiumSkip, launchChromium } from '../helpers/browser.js';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A merchant's webhook receiver on loopback that answers 200. */
class Receiver {
  readonly got: Received[] = [];
  private server!: Server;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += String(d)));
      req.on('end', () => {
        this.got.push({ path: req.url ?? '', headers: req.headers, body });
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const addr = this.server.address();
    this.url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    return this;
  }

  of(eventId: string): Received[] {
    return this.got.filter((r) => (JSON.parse(r.body) as { id: string }).id === eventId);
  }

  async stop() {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

interface Page {
  status: number;
  location: string | null;
  html: string;
}

/** A browser's view of the dashboard: its cookies, and the CSRF token of the last page read. */
class Browser {
  private readonly jar = new Map<string, string>();
  csrf = '';

  constructor(private readonly base: string) {}

  private keep(res: Response) {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      const name = pair!.slice(0, i);
      const value = pair!.slice(i + 1);
      if (value === '' || /Max-Age=0/i.test(c)) this.jar.delete(name);
      else this.jar.set(name, value);
    }
  }

  private cookie(): string {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private async read(res: Response): Promise<Page> {
    this.keep(res);
    const html = await res.text();
    const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
    if (token) this.csrf = decodeEntities(token);
    return { status: res.status, location: res.headers.get('location'), html };
  }

  async get(path: string): Promise<Page> {
    return this.read(await fetch(this.base + path, { headers: { cookie: this.cookie(), accept: 'text/html' }, redirect: 'manual' }));
  }

  /** A form post; `csrf: false` leaves the token out, as a forged form would. */
  async post(path: string, fields: [string, string][] | Record<string, string>, o: { csrf?: boolean } = {}): Promise<Page> {
    const form = new URLSearchParams(Array.isArray(fields) ? fields : Object.entries(fields));
    if (o.csrf !== false) form.set('_csrf', this.csrf);
    return this.read(await fetch(this.base + path, {
      method: 'POST', redirect: 'manual', body: form.toString(),
      headers: { cookie: this.cookie(), 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
    }));
  }

  async signIn(secret: string): Promise<void> {
    await this.get('/dashboard/login');
    const res = await this.post('/dashboard/login', { secret, next: '/dashboard/webhooks' });
    assert.equal(res.status, 303, res.html);
    assert.equal(res.location, '/dashboard/webhooks');
    assert.ok(this.jar.has('oc_dashboard'), 'signed in');
    await this.get('/dashboard/webhooks');
  }
}

function decodeEntities(s: string): string {
  return s.replaceAll('&quot;', '"').replaceAll('&#39;', "'").replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&');
}

/** What every dashboard page must be: no inline styles (strict CSP), every visible control labelled. */
function assertWellFormed(html: string): void {
  assert.doesNotMatch(html, /\sstyle=/, 'no inline style attributes');
  assert.doesNotMatch(html, /<script(?![^>]*nonce=)/, 'every script carries the nonce');
  for (const m of html.matchAll(/<(input|select|textarea)\b([^>]*)>/g)) {
    const attrs = m[2]!;
    if (/type="(hidden|submit)"/.test(attrs)) continue;
    const id = /\sid="([^"]+)"/.exec(attrs)?.[1];
    assert.ok(id, `a ${m[1]} without an id: ${m[0]}`);
    assert.ok(html.includes(`<label for="${id}"`), `no label for #${id}`);
  }
}

/** The text of a page without its tags, for matching what a reader sees. */
function textOf(html: string): string {
  return decodeEntities(html.replace(/<script[\s\S]*?<\/script>|<style[\s\S]*?<\/style>/g, '').replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ');
}

const verifier = new Stripe('sk_test_unused');

for (const { kind, skip } of await stores()) {
  describe(`dashboard: webhooks and developers [${kind}]`, { skip }, () => {
    let g: TestGateway;
    let rx: Receiver;
    let b: Browser;
    let endpointId = '';
    let secret = '';
    before(async () => {
      rx = await new Receiver().start();
      g = await startGateway({ store: kind, env: { WEBHOOK_RETRY_SCHEDULE_MS: '300,300', WEBHOOK_TIMEOUT_MS: '1500' } });
      b = new Browser(g.url);
      await b.signIn(g.secretKey);
    });
    after(async () => {
      await g?.stop();
      await rx?.stop();
    });

    const endpoints = async () => (await g.api('GET', '/v1/webhook_endpoints?limit=100')).body.data as { id: string; url: string; status: string; description: string | null; enabled_events: string[] }[];

    test('adding an endpoint: a refusal keeps what was typed and says why; the secret is shown once, on the answer', async () => {
      const before = (await endpoints()).length;
      const bad = await b.post('/dashboard/webhooks', [['url', 'ftp://shop.example/hooks'], ['description', 'Orders <script>'], ['enabled_events[]', 'charge.succeeded']]);
      assert.equal(bad.status, 400);
      assert.match(textOf(bad.html), /This URL cannot receive webhooks: only http and https URLs can receive webhooks \(got ftp:\)\./);
      assert.match(bad.html, /value="ftp:\/\/shop\.example\/hooks"/, 'the URL as typed');
      assert.match(bad.html, /value="Orders &lt;script&gt;"/, 'the description as typed, escaped');
      assert.match(bad.html, /value="charge\.succeeded" checked/, 'the chosen event still chosen');
      assert.match(bad.html, /aria-invalid="true"/);
      const none = await b.post('/dashboard/webhooks', [['url', `${rx.url}/hooks`]]);
      assert.equal(none.status, 400);
      assert.match(textOf(none.html), /Choose at least one event, or "All events"\./);
      const link = await b.post('/dashboard/webhooks', [['url', 'http://169.254.169.254/latest'], ['enabled_events[]', '*']]);
      assert.equal(link.status, 400);
      assert.match(textOf(link.html), /This URL cannot receive webhooks: 169\.254\.169\.254 is .*link-local/);
      assert.equal((await endpoints()).length, before, 'nothing was created by a refusal');

      const created = await b.post('/dashboard/webhooks', [
        ['url', `${rx.url}/hooks`], ['description', 'Order system'],
        ['enabled_events[]', 'payment_intent.created'], ['enabled_events[]', 'charge.succeeded'],
      ]);
      assert.equal(created.status, 201, created.html);
      assertWellFormed(created.html);
      secret = decodeEntities(/<code id="endpoint-secret">([^<]+)<\/code>/.exec(created.html)?.[1] ?? '');
      assert.match(secret, /^whsec_[A-Za-z0-9]{32}$/);
      assert.match(created.html, /data-copy="endpoint-secret"/, 'a copy button');
      endpointId = /\/dashboard\/webhooks\/(we_[A-Za-z0-9]+)\/disable/.exec(created.html)?.[1] ?? '';
      assert.match(endpointId, /^we_/);
      const stored = (await g.api('GET', `/v1/webhook_endpoints/${endpointId}`)).body;
      assert.equal(stored.url, `${rx.url}/hooks`);
      assert.equal(stored.description, 'Order system');
      assert.deepEqual(stored.enabled_events, ['payment_intent.created', 'charge.succeeded']);

      const reload = await b.get(`/dashboard/webhooks/${endpointId}`);
      assert.equal(reload.status, 200);
      assert.ok(!reload.html.includes(secret), 'the secret is not on the page again');
      assert.ok(!reload.html.includes('whsec_'), 'nor any secret');
      assertWellFormed(reload.html);
      const list = await b.get('/dashboard/webhooks');
      assertWellFormed(list.html);
      assert.ok(!list.html.includes('whsec_'));
      assert.match(list.html, new RegExp(`href="/dashboard/webhooks/${endpointId}">${rx.url.replaceAll('.', '\\.')}/hooks</a>`));
      assert.match(textOf(list.html), /Enabled/);
      assert.match(textOf(list.html), /No attempts/);
    });

    test('editing, disabling and enabling go through core: /v1 sees each change; a bad edit keeps the typed values', async () => {
      const saved = await b.post(`/dashboard/webhooks/${endpointId}`, [
        ['url', `${rx.url}/hooks`], ['description', 'Orders and refunds'],
        ['enabled_events[]', 'payment_intent.succeeded'], ['enabled_events[]', 'charge.succeeded'],
      ]);
      assert.equal(saved.status, 303, saved.html);
      assert.equal(saved.location, `/dashboard/webhooks/${endpointId}?done=saved`);
      let w = (await g.api('GET', `/v1/webhook_endpoints/${endpointId}`)).body;
      assert.equal(w.description, 'Orders and refunds');
      assert.deepEqual(w.enabled_events, ['payment_intent.succeeded', 'charge.succeeded']);
      assert.match(textOf((await b.get(saved.location!)).html), /Changes saved\./);

      const bad = await b.post(`/dashboard/webhooks/${endpointId}`, [['url', 'not a url'], ['description', 'typed'], ['enabled_events[]', '*']]);
      assert.equal(bad.status, 400);
      assert.match(textOf(bad.html), /This URL cannot receive webhooks: "not a url" is not an absolute URL\./);
      assert.match(bad.html, /id="edit-url"[^>]*value="not a url"/);
      w = (await g.api('GET', `/v1/webhook_endpoints/${endpointId}`)).body;
      assert.equal(w.url, `${rx.url}/hooks`, 'unchanged');
      assert.equal(w.description, 'Orders and refunds');

      const off = await b.post(`/dashboard/webhooks/${endpointId}/disable`, {});
      assert.equal(off.status, 303);
      assert.equal((await g.api('GET', `/v1/webhook_endpoints/${endpointId}`)).body.status, 'disabled');
      const offPage = await b.get(off.location!);
      assert.match(textOf(offPage.html), /Endpoint disabled/);
      assert.match(offPage.html, new RegExp(`action="/dashboard/webhooks/${endpointId}/enable"`));
      assert.match(textOf((await b.get('/dashboard/webhooks')).html), /Disabled disabled by request/);

      const on = await b.post(`/dashboard/webhooks/${endpointId}/enable`, {});
      assert.equal(on.status, 303);
      assert.equal((await g.api('GET', `/v1/webhook_endpoints/${endpointId}`)).body.status, 'enabled');
    });

    test('a form posted without the CSRF token is refused with 403 and changes nothing', async () => {
      const count = (await endpoints()).length;
      const forged = await b.post('/dashboard/webhooks', [['url', `${rx.url}/forged`], ['enabled_events[]', '*']], { csrf: false });
      assert.equal(forged.status, 403);
      const disable = await b.post(`/dashboard/webhooks/${endpointId}/disable`, {}, { csrf: false });
      assert.equal(disable.status, 403);
      const del = await b.post(`/dashboard/webhooks/${endpointId}/delete`, { _csrf: 'not-the-token' }, { csrf: false });
      assert.equal(del.status, 403);
      const roll = await b.post('/dashboard/developers/keys/roll', { kind: 'secret' }, { csrf: false });
      assert.equal(roll.status, 403);
      assert.equal((await endpoints()).length, count);
      assert.equal((await g.api('GET', `/v1/webhook_endpoints/${endpointId}`)).body.status, 'enabled');
      assert.equal((await g.api('GET', '/v1/payment_intents?limit=1')).status, 200, 'the key still works');
    });

    let eventId = '';
    let piId = '';

    test('a payment\'s event is delivered, and its attempts (status, latency) show on the endpoint page', async () => {
      const pi = (await g.api('POST', '/v1/payment_intents', SEED_000_WEB)).body;
      piId = pi.id;
      await g.complete(pi.next_action.redirect_to_url.url, 'succeeded');
      const got = await eventually(async () => rx.got.find((r) => {
        const ev = JSON.parse(r.body) as { type: string; data: { object: { id: string } } };
        return ev.type === 'payment_intent.succeeded' && ev.data.object.id === pi.id ? r : undefined;
      }));
      eventId = (JSON.parse(got.body) as { id: string }).id;
      verifier.webhooks.constructEvent(got.body, got.headers['stripe-signature'] as string, secret);
      const page = await eventually(async () => {
        const p = await b.get(`/dashboard/webhooks/${endpointId}`);
        return p.html.includes(eventId) && /HTTP 200/.test(p.html) ? p : undefined;
      });
      assertWellFormed(page.html);
      const text = textOf(page.html);
      assert.match(text, /payment_intent\.succeeded/);
      assert.match(text, /#1 .* UTC · HTTP 200 · \d+ ms/);
      assert.match(page.html, new RegExp(`href="/dashboard/events/${eventId}"`), 'the delivery links to its event');
      const list = textOf((await b.get('/dashboard/webhooks')).html);
      assert.match(list, /100% of \d+ attempts?/);
      assert.match(list, /[1-9]\d* succeeded/);
    });

    test('resending an event queues a second delivery, signed like the first; a disabled endpoint is refused in plain words', async () => {
      await eventually(async () => (await g.api('GET', `/v1/events/${eventId}`)).body.pending_webhooks === 0);
      const eventPage = await b.get(`/dashboard/events/${eventId}`);
      assert.equal(eventPage.status, 200);
      assertWellFormed(eventPage.html);
      assert.match(eventPage.html, new RegExp(`<option value="${endpointId}"`), 'the endpoint is offered');
      assert.match(eventPage.html, /&quot;type&quot;: &quot;payment_intent\.succeeded&quot;/, 'the event JSON, escaped');

      const resent = await b.post(`/dashboard/events/${eventId}/resend`, { endpoint: endpointId });
      assert.equal(resent.status, 303, resent.html);
      assert.equal(resent.location, `/dashboard/events/${eventId}?done=resent`);
      const second = await eventually(async () => rx.of(eventId).length >= 2 && rx.of(eventId)[1]);
      const ev = verifier.webhooks.constructEvent(second.body, second.headers['stripe-signature'] as string, secret);
      assert.equal(ev.id, eventId);
      assert.equal(ev.type, 'payment_intent.succeeded');
      const deliveries = await eventually(async () => {
        const d = (await g.api('GET', `/v1/webhook_deliveries?event=${eventId}`)).body.data as { status: string; webhook_endpoint: string }[];
        return d.length === 2 && d.every((x) => x.status === 'succeeded') ? d : undefined;
      });
      assert.ok(deliveries.every((d) => d.webhook_endpoint === endpointId));
      assert.equal((await g.api('GET', `/v1/events/${eventId}`)).body.pending_webhooks, 0, 'the resent delivery is counted and done');
      const after = await eventually(async () => {
        const p = await b.get(`/dashboard/events/${eventId}`);
        return (p.html.match(/HTTP 200/g) ?? []).length >= 2 ? p : undefined;
      });
      assert.match(textOf(after.html), /Queued|Deliveries/);

      // A second endpoint, disabled: the form does not offer it, and a forged choice is refused.
      const other = (await g.api('POST', '/v1/webhook_endpoints', { url: `${rx.url}/other`, enabled_events: ['*'] })).body;
      await g.api('POST', `/v1/webhook_endpoints/${other.id}`, { disabled: true });
      assert.doesNotMatch((await b.get(`/dashboard/events/${eventId}`)).html, new RegExp(`<option value="${other.id}"`));
      const refused = await b.post(`/dashboard/events/${eventId}/resend`, { endpoint: other.id });
      assert.equal(refused.status, 409);
      assert.match(textOf(refused.html), new RegExp(`The endpoint ${rx.url.replaceAll('.', '\\.')}/other is disabled, so nothing is sent to it\\. Enable it first, then resend the event\\.`));
      const unknown = await b.post(`/dashboard/events/${eventId}/resend`, { endpoint: 'we_nope' });
      assert.equal(unknown.status, 404);
      assert.match(textOf(unknown.html), /There is no webhook endpoint we_nope in this mode\./);
      assert.equal(((await g.api('GET', `/v1/webhook_deliveries?event=${eventId}`)).body.data as unknown[]).length, 2, 'nothing more was queued');
    });

    test('the event log filters by type, object and day; a wrong date is named', async () => {
      const all = await b.get('/dashboard/events');
      assert.equal(all.status, 200);
      assertWellFormed(all.html);
      assert.match(all.html, /<option value="payment_intent\.created">/, 'the types recorded are the choices');
      const typed = await b.get('/dashboard/events?type=payment_intent.created');
      const types = [...typed.html.matchAll(/<strong>([a-z_.]+)<\/strong><\/a>/g)].map((m) => m[1]);
      assert.ok(types.length >= 1);
      assert.ok(types.every((t) => t === 'payment_intent.created'), types.join());
      assert.match(typed.html, /<option value="payment_intent\.created" selected>/);
      const about = await b.get(`/dashboard/events?object=${piId}`);
      const aboutTypes = [...about.html.matchAll(/<strong>([a-z_.]+)<\/strong><\/a>/g)].map((m) => m[1]);
      assert.ok(aboutTypes.includes('payment_intent.succeeded') && aboutTypes.includes('payment_intent.created'), aboutTypes.join());
      assert.ok(!aboutTypes.includes('charge.succeeded'), 'a charge event is about the charge');
      const today = new Date().toISOString().slice(0, 10);
      const day = await b.get(`/dashboard/events?from=${today}&to=${today}&type=payment_intent.succeeded`);
      assert.match(day.html, new RegExp(eventId));
      const past = await b.get('/dashboard/events?to=2001-01-01');
      assert.match(textOf(past.html), /No event matches these filters\./);
      const wrong = await b.get('/dashboard/events?from=yesterday');
      assert.match(textOf(wrong.html), /"yesterday" is not a date \(YYYY-MM-DD\)\./);
      const missing = await b.get('/dashboard/events/evt_nope');
      assert.equal(missing.status, 404);
      assert.match(textOf(missing.html), /There is no event evt_nope in test mode\./);
    });

    test('long lists come in keyset pages: the event log and an endpoint\'s deliveries, older and back to newer', async () => {
      const w = (await g.api('POST', '/v1/webhook_endpoints', { url: `${rx.url}/products`, enabled_events: ['product.created'] })).body;
      const made: string[] = [];
      for (let i = 0; i < 30; i++) made.push((await g.api('POST', '/v1/products', { name: `Tea ${i}` })).body.id);
      const rowsOf = (html: string) => [...html.matchAll(/<a href="\/dashboard\/events\/(evt_[A-Za-z0-9]+)"><strong>/g)].map((m) => m[1]!);
      const first = await b.get('/dashboard/events?type=product.created');
      assert.equal(rowsOf(first.html).length, 25);
      assert.doesNotMatch(first.html, /rel="prev"/);
      const older = /<a class="btn btn-secondary" rel="next" href="([^"]+)">/.exec(first.html)?.[1];
      assert.ok(older, 'a link to older events');
      assert.match(decodeEntities(older), /^\/dashboard\/events\?type=product\.created&after=/, 'the filter is kept');
      const second = await b.get(decodeEntities(older));
      assert.equal(rowsOf(second.html).length, 5);
      assert.doesNotMatch(second.html, /rel="next"/);
      assert.deepEqual(new Set([...rowsOf(first.html), ...rowsOf(second.html)]).size, 30, 'no event twice, none missing');
      const newer = /<a class="btn btn-secondary" rel="prev" href="([^"]+)">/.exec(second.html)?.[1];
      assert.ok(newer);
      assert.deepEqual(rowsOf((await b.get(decodeEntities(newer))).html), rowsOf(first.html));

      const deliveriesOf = (html: string) => [...html.matchAll(/<span class="muted">(wd_[A-Za-z0-9]+)<\/span>/g)].map((m) => m[1]!);
      const page1 = await b.get(`/dashboard/webhooks/${w.id}`);
      assert.equal(deliveriesOf(page1.html).length, 25);
      const next = /rel="next" href="([^"]+)"/.exec(page1.html)?.[1];
      assert.ok(next);
      const page2 = await b.get(decodeEntities(next));
      assert.equal(deliveriesOf(page2.html).length, 5);
      assert.equal(new Set([...deliveriesOf(page1.html), ...deliveriesOf(page2.html)]).size, 30);
      await eventually(async () => made.every((id) => rx.got.some((r) => r.path === '/products' && (JSON.parse(r.body) as { data: { object: { id: string } } }).data.object.id === id)));
      await g.api('DELETE', `/v1/webhook_endpoints/${w.id}`);
    });

    test('Trust Payments: the account\'s site and user are listed; a notification rule is added and removed with the CLI\'s checks', async () => {
      const site = g.gateway.tp.siteReference;
      const page = await b.get('/dashboard/trust-payments');
      assert.equal(page.status, 200);
      assertWellFormed(page.html);
      const text = textOf(page.html);
      assert.ok(text.includes(site), 'the site');
      assert.ok(text.includes(g.gateway.tp.username), 'the webservices user');
      assert.ok(text.includes(`${g.url}/json/`) && text.includes(`${g.url}/xml/`), 'the doors');

      const bad = await b.post('/dashboard/trust-payments/rules', { site, trigger: 'settlement', url: 'ftp://merchant.example/n', fields: '' });
      assert.equal(bad.status, 400);
      assert.match(textOf(bad.html), /A notification URL is http:\/\/ or https:\/\/\./);
      assert.match(bad.html, /value="ftp:\/\/merchant\.example\/n"/);
      const badField = await b.post('/dashboard/trust-payments/rules', { site, trigger: 'settlement', url: 'https://merchant.example/n', fields: 'settlestatus, two words' });
      assert.equal(badField.status, 400);
      assert.match(textOf(badField.html), /not "two words"/);
      const otherSite = await b.post('/dashboard/trust-payments/rules', { site: 'not_mine', trigger: 'settlement', url: 'https://merchant.example/n', fields: '' });
      assert.match(textOf(otherSite.html), /There is no site not_mine\./);
      assert.equal((await listRules(g.gateway.db, site)).length, 0, 'nothing added by a refusal');

      const added = await b.post('/dashboard/trust-payments/rules', { site, trigger: 'settlement', url: 'https://merchant.example/n', fields: 'settlestatus, transactionreference' });
      assert.equal(added.status, 303, added.html);
      const rules = await listRules(g.gateway.db, site);
      assert.equal(rules.length, 1);
      assert.deepEqual({ trigger: rules[0]!.trigger, url: rules[0]!.url, fields: rules[0]!.fields }, { trigger: 'settlement', url: 'https://merchant.example/n', fields: ['settlestatus', 'transactionreference'] });
      const shown = await b.get(added.location!);
      assert.match(textOf(shown.html), /Rule added/);
      assert.match(shown.html, new RegExp(`action="/dashboard/trust-payments/rules/${rules[0]!.id}/remove"`));

      const removed = await b.post(`/dashboard/trust-payments/rules/${rules[0]!.id}/remove`, {});
      assert.equal(removed.status, 303);
      assert.equal((await listRules(g.gateway.db, site)).length, 0);
      const again = await b.post(`/dashboard/trust-payments/rules/${rules[0]!.id}/remove`, {});
      assert.equal(again.status, 404);
      assert.match(textOf(again.html), new RegExp(`There is no rule ${rules[0]!.id}\\.`));
    });

    test('deleting an endpoint goes through core: /v1 no longer has it and its page says so', async () => {
      const del = await b.post(`/dashboard/webhooks/${endpointId}/delete`, {});
      assert.equal(del.status, 303);
      assert.equal(del.location, '/dashboard/webhooks?done=deleted');
      assert.equal((await g.api('GET', `/v1/webhook_endpoints/${endpointId}`)).status, 404);
      const list = await b.get(del.location!);
      assert.match(textOf(list.html), /Endpoint deleted\./);
      assert.ok(!list.html.includes(`/dashboard/webhooks/${endpointId}"`), 'not listed');
      const gone = await b.get(`/dashboard/webhooks/${endpointId}`);
      assert.equal(gone.status, 404);
      assert.match(textOf(gone.html), new RegExp(`There is no webhook endpoint ${endpointId} in test mode\\.`));
    });

    test('Developers: the URLs and a first request; rolling the secret key shows the new one once, the old one stops working, and so does the session opened with it', async () => {
      const dev = await b.get('/dashboard/developers');
      assert.equal(dev.status, 200);
      assertWellFormed(dev.html);
      const text = textOf(dev.html);
      assert.ok(text.includes(`${g.url}/v1`), 'the API base URL');
      assert.ok(text.includes(`${g.url}/antom/notify`), 'the Antom notify URL');
      assert.match(text, /curl .*\/v1\/payment_intents -u sk_test_…0001:/, 'a first request, with the key as far as it is known');
      assert.match(dev.html, /href="\/dashboard\/events"/);
      assert.match(dev.html, /href="\/dashboard\/trust-payments"/);
      assert.ok(!dev.html.includes(g.secretKey), 'the full key is not on the page');

      const rolled = await b.post('/dashboard/developers/keys/roll', { kind: 'secret' });
      assert.equal(rolled.status, 200);
      const key = /<code id="new-key">([^<]+)<\/code>/.exec(rolled.html)?.[1] ?? '';
      assert.match(key, /^sk_test_[A-Za-z0-9]{32}$/);
      assert.match(rolled.html, /data-copy="new-key"/);
      assert.equal((await g.api('GET', '/v1/payment_intents?limit=1')).status, 401, 'the old key stops working');
      assert.equal((await g.api('GET', '/v1/payment_intents?limit=1', undefined, { key })).status, 200, 'the new one works');
      const ended = await b.get('/dashboard/developers');
      assert.equal(ended.status, 303, 'the session opened with the rolled key ends with it');
      await b.signIn(key);
      const reload = await b.get('/dashboard/developers');
      assert.equal(reload.status, 200);
      assert.ok(!reload.html.includes(key), 'shown once');
      assert.ok(reload.html.includes(`sk_test_…${key.slice(-4)}`), 'then only its display');

      const pk = await b.post('/dashboard/developers/keys/roll', { kind: 'publishable' });
      const pub = /<code id="new-key">([^<]+)<\/code>/.exec(pk.html)?.[1] ?? '';
      assert.match(pub, /^pk_test_/);
      const bad = await b.post('/dashboard/developers/keys/roll', { kind: 'everything' });
      assert.equal(bad.status, 400);
      assert.match(textOf(bad.html), /Choose which key to roll/);
    });
  });
}

describe('dashboard: webhooks and developers in Chromium, on a 375 px phone and a desktop', { skip: chromiumSkip }, () => {
  let g: TestGateway;
  let rx: Receiver;
  let browser: import('playwright-core').Browser;
  let endpointId = '';
  let eventId = '';
  before(async () => {
    rx = await new Receiver().start();
    g = await startGateway({ store: 'pglite' });
    browser = await launchChromium();
    // Long values are what push a narrow page sideways: a long URL, a long description, every event.
    const long = `${rx.url}/webhooks/a-rather-long-path/that-goes-on/and-on?with=a&query=string-that-is-long-too`;
    endpointId = (await g.api('POST', '/v1/webhook_endpoints', { url: long, description: 'Orders, refunds and the warehouse system'.repeat(2), enabled_events: ['*'] })).body.id;
    await g.api('POST', '/v1/webhook_endpoints', { url: 'http://127.0.0.1:9/refused', enabled_events: ['payment_intent.created', 'charge.succeeded', 'refund.created', 'refund.updated'] });
    const pi = (await g.api('POST', '/v1/payment_intents', SEED_000_WEB)).body;
    await g.complete(pi.next_action.redirect_to_url.url, 'succeeded');
    eventId = (await eventually(async () => (await g.api('GET', `/v1/events?type=payment_intent.succeeded`)).body.data[0])).id;
    await eventually(async () => rx.of(eventId).length > 0);
    await addRule(g.gateway.db, { siteReference: g.gateway.tp.siteReference, trigger: 'authorisation', url: 'https://merchant.example/notifications/trust-payments/authorisation', now: Date.now() });
  });
  after(async () => {
    await browser?.close();
    await g?.stop();
    await rx?.stop();
  });

  async function signedIn(viewport: { width: number; height: number }, mobile: boolean) {
    const context = await browser.newContext({ viewport, isMobile: mobile, hasTouch: mobile, locale: 'en-US' });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: g.url });
    const page = await context.newPage();
    const refusals: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) refusals.push(m.text());
    });
    await page.goto(`${g.url}/dashboard/login?next=/dashboard/webhooks`);
    await page.getByLabel('Password or secret key').fill(g.secretKey);
    await page.keyboard.press('Enter');
    await page.waitForURL((u) => u.pathname === '/dashboard/webhooks');
    return { page, context, refusals };
  }

  const PAGES = () => ['/dashboard/webhooks', `/dashboard/webhooks/${endpointId}`, '/dashboard/events', `/dashboard/events/${eventId}`, '/dashboard/developers', '/dashboard/trust-payments'];

  for (const [name, viewport, mobile] of [['phone', { width: 375, height: 812 }, true], ['desktop', { width: 1280, height: 860 }, false]] as const) {
    test(`${name}: no page scrolls sideways, and nothing is refused by the CSP`, async () => {
      const { page, context, refusals } = await signedIn(viewport, mobile);
      for (const path of PAGES()) {
        const res = await page.goto(g.url + path);
        assert.equal(res?.status(), 200, path);
        const [scroll, client] = await page.evaluate(() => {
          const d = (globalThis as any).document.documentElement;
          return [d.scrollWidth as number, d.clientWidth as number];
        });
        assert.ok(scroll <= client, `${path} is ${scroll} px wide in a ${client} px window`);
      }
      assert.deepEqual(refusals, []);
      await context.close();
    });
  }

  test('keyboard: focus is visible; an endpoint is added with the keyboard alone; the secret\'s Copy button copies it', async () => {
    const { page, context } = await signedIn({ width: 1280, height: 860 }, false);
    await page.keyboard.press('Tab');
    const skip = await page.evaluate(() => {
      const el = (globalThis as any).document.activeElement;
      const style = (globalThis as any).getComputedStyle(el);
      return { text: el.textContent as string, outline: style.outlineStyle as string, width: style.outlineWidth as string };
    });
    assert.equal(skip.text, 'Skip to content');
    assert.equal(skip.outline, 'solid', 'a visible focus ring');
    assert.notEqual(skip.width, '0px');
    await page.getByLabel('Endpoint URL').focus();
    await page.keyboard.type(`${rx.url}/typed`);
    await page.keyboard.press('Tab');
    await page.keyboard.type('Typed with the keyboard');
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => (globalThis as any).document.activeElement.value as string);
    assert.equal(focused, '*', 'Tab goes on to "All events"');
    const checked = await page.getByLabel('All events').isChecked();
    if (!checked) await page.keyboard.press('Space');
    await page.getByLabel('Description').press('Enter');
    await page.locator('#endpoint-secret').waitFor();
    const secret = (await page.locator('#endpoint-secret').textContent()) ?? '';
    assert.match(secret, /^whsec_/);
    await page.getByRole('button', { name: 'Copy' }).click();
    await eventually(async () => (await page.getByRole('button', { name: 'Copied' }).count()) === 1);
    assert.equal(await page.evaluate(() => (globalThis as any).navigator.clipboard.readText() as Promise<string>), secret);
    const made = ((await g.api('GET', '/v1/webhook_endpoints?limit=100')).body.data as { url: string; description: string }[]).find((w) => w.url === `${rx.url}/typed`);
    assert.equal(made?.description, 'Typed with the keyboard');
    await context.close();
  });
});
