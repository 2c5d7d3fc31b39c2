/**
 * GET /openapi.json describes exactly what the app serves: every route the app has is in the
 * document and every documented route exists; the document is valid OpenAPI 3.1; the parameters it
 * lists are the ones the API accepts (the same zod schemas), and its error and object schemas
 * match real answers. GET /docs renders it from our own origin under a strict CSP.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { validate, compileErrors } from '@readme/openapi-parser';
import AjvModule from 'ajv';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { servedRoutes } from '../helpers/routes.js';
import { chromiumSkip, launchChromium } from '../helpers/browser.js';
import { SEED_000_WEB } from '../helpers/seeds.js';
import { DOCS_CSP, openApiDocument } from '../../src/api/openapi.js';

const Ajv = AjvModule as unknown as typeof AjvModule.default;
type Doc = { openapi: string; paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, unknown> } };
type Param = { name: string; in: string; $ref?: string };
type Operation = { parameters?: Param[]; requestBody?: { content: Record<string, { schema?: { properties?: Record<string, unknown>; additionalProperties?: unknown } }> } };

/** `GET /v1/payment_intents/:id` for every operation of the document, in Fastify's spelling. */
function documentedRoutes(doc: Doc): string[] {
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.keys(ops).map((method) => `${method.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`));
}

/** The names an operation takes: its query parameters, or its body's properties. */
function paramNames(op: Operation): string[] {
  const body = op.requestBody?.content['application/json']?.schema;
  if (body) return Object.keys(body.properties ?? {});
  return (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
}

/** Valid values of the parameters that operations require. */
const REQUIRED: Record<string, Record<string, unknown>> = {
  'POST /v1/payment_intents': { amount: 100, currency: 'CNY' },
  'POST /v1/products': { name: 'Tea' },
  'POST /v1/prices': { currency: 'CNY', unit_amount: 100 },
  'POST /v1/checkout/sessions': { line_items: [{ price: 'price_nothing', quantity: 1 }], success_url: 'https://shop.example/done' },
  'POST /v1/webhook_endpoints': { url: 'https://shop.example/hooks', enabled_events: ['*'] },
};

describe('the OpenAPI document and the API reference', () => {
  let g: TestGateway;
  let doc: Doc;
  before(async () => {
    g = await startGateway({ store: 'pglite', workers: false });
    const res = await fetch(`${g.url}/openapi.json`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    doc = await res.json() as Doc;
  });
  after(async () => g?.stop());

  test('every route the app serves is documented, and every documented route is served', () => {
    const served = servedRoutes(g.gateway.app.printRoutes({ commonPrefix: false }));
    const documented = documentedRoutes(doc);
    assert.ok(served.length > 60, `route tree not understood:\n${served.join('\n')}`);
    assert.deepEqual(served.filter((r) => !documented.includes(r)), [], 'routes missing from /openapi.json: add them in src/api/openapi.ts');
    assert.deepEqual(documented.filter((r) => !served.includes(r)), [], '/openapi.json documents routes the app does not serve');
  });

  test('the document is valid OpenAPI 3.1, and the validator refuses a broken one', async () => {
    assert.equal(doc.openapi, '3.1.0');
    const result = await validate(structuredClone(doc) as never);
    assert.ok(result.valid, result.valid ? '' : compileErrors(result));
    // The check can fail: a response without its description and a dangling $ref are refused.
    const broken = structuredClone(doc) as unknown as { paths: Record<string, Record<string, { responses: Record<string, { description?: string }> }>> };
    delete broken.paths['/v1/payment_intents']!.post!.responses['200']!.description;
    assert.equal((await validate(broken as never)).valid, false, 'a response without a description passed');
    const dangling = structuredClone(doc);
    delete dangling.components.schemas.PaymentIntent;
    assert.equal((await validate(dangling as never)).valid, false, 'a dangling $ref passed');
  });

  test('without the simulator, its routes are not documented', () => {
    const paths = Object.keys(openApiDocument({ simulator: false }).paths as object);
    assert.ok(paths.includes('/v1/payment_intents') && paths.includes('/antom/notify'));
    assert.deepEqual(paths.filter((p) => p.startsWith('/simulator') || p.startsWith('/ams/')), []);
  });

  test('each /v1 operation takes exactly the parameters it documents', async () => {
    let checked = 0;
    for (const [path, ops] of Object.entries(doc.paths)) {
      if (!path.startsWith('/v1/')) continue;
      for (const [method, op] of Object.entries(ops)) {
        const url = path.replace(/\{[^}]+\}/g, 'nothing_here');
        const names = paramNames(op);
        const send = (params: Record<string, unknown>) => method === 'post'
          ? g.api('POST', url, params)
          : g.api(method.toUpperCase(), `${url}?${new URLSearchParams(params as Record<string, string>)}`);
        // A name the document does not list is refused by name (beside what the route requires: a missing parameter is named first)…
        const required = (op.requestBody?.content['application/json']?.schema as { required?: string[] } | undefined)?.required ?? [];
        const filler = required.length ? REQUIRED[`${method.toUpperCase()} ${path}`] : {};
        assert.ok(filler, `${method} ${path} requires ${required.join(', ')}: give REQUIRED a valid example`);
        const unknown = await send({ ...filler, not_documented: '1' });
        assert.equal(unknown.status, 400, `${method} ${path}: an undocumented parameter was accepted`);
        assert.equal(unknown.body.error.code, 'parameter_unknown', `${method} ${path}`);
        assert.equal(unknown.body.error.param, 'not_documented');
        // …and every name it lists is known (it may still be refused for its value).
        for (const name of names) {
          const r = await send({ [name]: '' });
          assert.ok(!(r.body?.error?.code === 'parameter_unknown' && r.body.error.param === name), `${method} ${path}: documented ${name} is unknown to the API`);
          checked++;
        }
      }
    }
    assert.ok(checked > 150, `only ${checked} parameters checked`);
  });

  test('errors and objects the API answers with match the document\'s schemas', async () => {
    const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
    ajv.addSchema(doc, 'openapi');
    const check = (name: string, value: unknown) => {
      const v = ajv.getSchema(`openapi#/components/schemas/${name}`);
      assert.ok(v, name);
      assert.ok(v(value), `${name}: ${ajv.errorsText(v.errors)}\n${JSON.stringify(value).slice(0, 400)}`);
    };
    const errors = [
      await g.api('POST', '/v1/payment_intents', { amount: 'ten', currency: 'CNY' }),
      await g.api('GET', '/v1/payment_intents/pi_nothing'),
      await g.api('GET', '/v1/payment_intents', undefined, { key: 'sk_test_wrong' }),
      await g.api('GET', '/v1/customers'),
    ];
    assert.deepEqual(errors.map((e) => e.status), [400, 404, 401, 404]);
    for (const e of errors) check('Error', e.body);
    // The schema can fail: a body that is not the error shape is refused.
    assert.equal(ajv.getSchema('openapi#/components/schemas/Error')!({ message: 'no' }), false);

    const pi = await g.api('POST', '/v1/payment_intents', SEED_000_WEB);
    assert.equal(pi.status, 200);
    check('PaymentIntent', pi.body);
    const stripe = await g.api('GET', `/v1/payment_intents/${pi.body.id}`, undefined, { headers: { 'Stripe-Version': '2023-08-16' } });
    check('PaymentIntent', stripe.body);
    const product = await g.api('POST', '/v1/products', { name: 'Tea' });
    check('Product', product.body);
    const price = await g.api('POST', '/v1/prices', { product: product.body.id, currency: 'CNY', unit_amount: 100 });
    check('Price', price.body);
    const endpoint = await g.api('POST', '/v1/webhook_endpoints', { url: 'https://shop.example/hooks', enabled_events: ['*'] });
    check('WebhookEndpoint', endpoint.body);
    const form = new FormData();
    form.append('purpose', 'dispute_evidence');
    form.append('file', new Blob([Buffer.from('%PDF-1.4\n')]), 'evidence.pdf');
    const file = await (await fetch(`${g.url}/v1/files`, { method: 'POST', headers: { Authorization: `Bearer ${g.secretKey}`, 'Stripe-Version': '2023-08-16' }, body: form })).json();
    check('File', file);
    check('File', (await g.api('GET', `/v1/files/${(file as { id: string }).id}`)).body);
    const events = await g.api('GET', '/v1/events?limit=3');
    assert.ok(events.body.data.length > 0);
    for (const e of events.body.data) check('Event', e);
  });

  test('GET /docs is a page that loads only our own files, links the error codes, and serves what it names', async () => {
    const res = await fetch(`${g.url}/docs`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.equal(csp, DOCS_CSP);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
    const html = await res.text();
    assert.match(html, /href="\/docs\/errors"/);
    assert.match(html, /href="\/openapi.json"/);
    const scripts = [...html.matchAll(/<script\b([^>]*)>/g)].map((m) => m[1]!);
    assert.ok(scripts.length >= 2);
    for (const attrs of scripts) assert.match(attrs, /\bsrc="\/docs\/assets\//, 'an inline script would be blocked by the CSP');
    assert.doesNotMatch(html, /<style\b/);
    const assets = [...html.matchAll(/(?:src|href)="(\/docs\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    assert.equal(assets.length, 3);
    for (const asset of assets) {
      const a = await fetch(`${g.url}${asset}`);
      assert.equal(a.status, 200, asset);
      assert.match(a.headers.get('content-type') ?? '', asset.endsWith('.css') ? /text\/css/ : /javascript/, asset);
      assert.ok((await a.arrayBuffer()).byteLength > 100, asset);
    }
    const errors = await fetch(`${g.url}/docs/errors`);
    assert.equal(errors.status, 200);
  });

  test('Chromium renders the reference under its CSP: every operation listed, no violation', { skip: chromiumSkip }, async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(m.text());
      });
      page.on('pageerror', (e) => problems.push(e.message));
      page.on('response', (r) => {
        if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`);
      });
      await page.goto(`${g.url}/docs`);
      // Swagger UI renders one block per operation once it has fetched the document.
      await page.waitForSelector('.opblock-summary-path', { timeout: 20_000 });
      const shown = await page.$$eval('.opblock-summary-path', (els) => els.map((e) => e.getAttribute('data-path')));
      const operations = Object.values(doc.paths).reduce((n, ops) => n + Object.keys(ops).length, 0);
      assert.equal(shown.length, operations);
      assert.ok(shown.includes('/v1/payment_intents/{id}/confirm'));
      assert.equal(await page.locator('a[href="/docs/errors"]').count() > 0, true);
      assert.deepEqual(problems, [], 'console errors (a CSP violation shows here)');
    } finally {
      await browser.close();
    }
  });
});
