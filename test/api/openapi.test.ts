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
import Ajv2020Module from 'ajv/dist/2020.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { servedRoutes } from '../helpers/routes.js';
import { chromiumSkip, launchChromium } from '../helpers/browser.js';
import { SEED_000_WEB, SEED_004_AUTH, SEED_004_AUTH_WAP, SEED_004_ENVELOPE } from '../helpers/seeds.js';
import { basicAuth, seedTrustPayments, tp, tpJson, tpRaw, TP_SITE, TP_USER } from '../helpers/webservices.js';
import { DOCS_CSP, openApiDocument, tpFieldSchema } from '../../src/api/openapi.js';
import { ITEM_EXTRA_SCHEMAS, REQUEST_FIELDS, SUPPORTED_TYPES } from '../../src/api/webservices/requests.js';

const Ajv = AjvModule as unknown as typeof AjvModule.default;
const Ajv2020 = Ajv2020Module as unknown as typeof Ajv2020Module.default;
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

type Schema = { properties?: Record<string, unknown>; required?: string[]; oneOf?: { $ref: string }[] };

/** The document's item schema of each Trust Payments request type, found through TpRequestItem's oneOf. */
function tpItemSchemas(doc: Doc): Map<string, Schema> {
  const schemas = doc.components.schemas as Record<string, Schema>;
  const out = new Map<string, Schema>();
  for (const { $ref } of schemas.TpRequestItem?.oneOf ?? []) {
    const s = schemas[$ref.replace('#/components/schemas/', '')]!;
    out.set((s.properties?.requesttypedescription as { const: string }).const, s);
  }
  return out;
}

/** Where the document's Trust Payments schemas and the door's field table disagree (nothing, when they are one). */
function tpDrift(doc: Doc): string[] {
  const problems: string[] = [];
  const items = tpItemSchemas(doc);
  for (const type of SUPPORTED_TYPES) {
    const s = items.get(type);
    if (!s) {
      problems.push(`${type}: no item schema`);
      continue;
    }
    for (const [name, rule] of Object.entries(REQUEST_FIELDS[type])) {
      if (!s.properties?.[name]) problems.push(`${type}.${name}: not in the schema`);
      else if (JSON.stringify(s.properties[name]) !== JSON.stringify(tpFieldSchema(rule))) problems.push(`${type}.${name}: not the table's rule`);
      if (rule.required && !s.required?.includes(name)) problems.push(`${type}.${name}: required by the door, not by the schema`);
    }
    for (const [name, schema] of Object.entries(ITEM_EXTRA_SCHEMAS[type].properties)) {
      if (!s.properties?.[name]) problems.push(`${type}.${name}: not in the schema`);
      else if (JSON.stringify(s.properties[name]) !== JSON.stringify(schema)) problems.push(`${type}.${name}: not the door's schema`);
    }
    for (const name of ITEM_EXTRA_SCHEMAS[type].required ?? []) if (!s.required?.includes(name)) problems.push(`${type}.${name}: required by the door, not by the schema`);
  }
  return problems;
}

/** Request items of each type, as the Trust Payments tests send them (test/api/webservices.test.ts). */
const TP_REFUND = { requesttypedescriptions: ['REFUND'], sitereference: TP_SITE, parenttransactionreference: '1-9-1', baseamount: '500' };
const TP_QUERY = { requesttypedescriptions: ['TRANSACTIONQUERY'], filter: { sitereference: [{ value: TP_SITE }], transactionreference: [{ value: '1-9-1' }, { value: '1-9-2' }] } };
const TP_QUERY_BARE = { requesttypedescriptions: ['TRANSACTIONQUERY'], filter: { transactionreference: { value: '1-9-2', symbol: 'IS' } } };
const TP_QUERY_WINDOW = { requesttypedescriptions: ['TRANSACTIONQUERY'], filter: { starttimestamp: [{ value: '2999-01-01' }] } };
const TP_UPDATE = { requesttypedescriptions: ['TRANSACTIONUPDATE'], filter: { transactionreference: [{ value: '1-9-1' }] }, updates: { settlestatus: '2' } };

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
    await seedTrustPayments(g);
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

  test('POST /json/ takes TpRequestEnvelope: seed 004\'s AUTH and the REFUND, TRANSACTIONQUERY and TRANSACTIONUPDATE the door serves validate', async () => {
    const body = doc.paths['/json/']!.post!.requestBody!.content['application/json']!.schema as unknown as { $ref: string };
    assert.equal(body.$ref, '#/components/schemas/TpRequestEnvelope');
    const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
    ajv.addSchema(doc, 'openapi');
    const envelope = ajv.getSchema('openapi#/components/schemas/TpRequestEnvelope')!;
    const ok = (value: unknown) => assert.ok(envelope(value), `${ajv.errorsText(envelope.errors)}\n${JSON.stringify(value)}`);
    ok(SEED_004_ENVELOPE);
    const items = [SEED_004_AUTH, SEED_004_AUTH_WAP, TP_REFUND, TP_QUERY, TP_QUERY_BARE, TP_QUERY_WINDOW, TP_UPDATE];
    for (const item of items) ok({ ...SEED_004_ENVELOPE, request: [item] });
    ok({ ...SEED_004_ENVELOPE, request: items });
    // The singular requesttypedescription, and a single item without the list, as the door reads them.
    const { requesttypedescriptions: _t, ...untyped } = TP_REFUND;
    ok({ ...SEED_004_ENVELOPE, request: { ...untyped, requesttypedescription: 'REFUND' } });
    // Both forms at once is 60040 at the door, and refused by the schema.
    assert.equal(envelope({ ...SEED_004_ENVELOPE, request: [{ ...TP_REFUND, requesttypedescription: 'REFUND' }] }), false);
    // Each is exactly its own type.
    const schemas = tpItemSchemas(doc);
    for (const [item, type] of [[SEED_004_AUTH, 'AUTH'], [TP_REFUND, 'REFUND'], [TP_QUERY, 'TRANSACTIONQUERY'], [TP_UPDATE, 'TRANSACTIONUPDATE']] as const) {
      for (const [other, schema] of schemas) assert.equal(ajv.validate(schema, item), other === type, `${type} against ${other}`);
    }
    // What the door takes, it takes: seed 004's envelope is answered 0.
    const res = await tpRaw(g, '/json/', JSON.stringify(SEED_004_ENVELOPE));
    assert.equal(res.body.response[0].errorcode, '0', JSON.stringify(res.body));
  });

  test('a request the door refuses for a field rule fails TpRequestEnvelope too', async () => {
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    ajv.addSchema(doc, 'openapi');
    const envelope = ajv.getSchema('openapi#/components/schemas/TpRequestEnvelope')!;
    const { returnurl: _r, ...noReturnUrl } = SEED_004_AUTH;
    const { parenttransactionreference: _p, ...noParent } = TP_REFUND;
    const { updates: _u, ...noUpdates } = TP_UPDATE;
    const refused: [item: object, code: string, field: string][] = [
      [{ ...SEED_004_AUTH, currencyiso3a: 'XXX' }, '30000', 'currencyiso3a'],
      [{ ...SEED_004_AUTH, sitereference: 'test site' }, '30000', 'sitereference'],
      [noReturnUrl, '30000', 'returnurl'],
      [{ ...SEED_004_AUTH, returnurl: 'ftp://www.example.com/return' }, '30000', 'returnurl'],
      [{ ...SEED_004_AUTH, baseamount: '0' }, '30000', 'baseamount'],
      [{ ...SEED_004_AUTH, baseamount: '10.50' }, '30000', 'baseamount'],
      [{ ...SEED_004_AUTH, orderreference: 'x'.repeat(26) }, '30000', 'orderreference'],
      [{ ...SEED_004_AUTH, billingcountryiso2a: 'DEU' }, '30000', 'billingcountryiso2a'],
      [{ ...SEED_004_AUTH, accounttypedescription: 'MOTO' }, '30000', 'accounttypedescription'],
      [{ ...SEED_004_AUTH, billingemail: 7 }, '30000', 'billingemail'],
      [noParent, '20004', 'parenttransactionreference'],
      [{ ...TP_REFUND, currencyiso3a: 'CNY' }, '30000', 'currencyiso3a'],
      [{ ...TP_QUERY, filter: { colour: [{ value: 'red' }] } }, '60037', 'colour'],
      [{ ...TP_QUERY, filter: { starttimestamp: [{ value: 'yesterday' }] } }, '60037', 'starttimestamp'],
      [{ requesttypedescriptions: ['TRANSACTIONQUERY'] }, '60019', 'filter'],
      [{ ...TP_UPDATE, updates: { settlestatus: '9' } }, '60033', 'settlestatus'],
      [noUpdates, '60013', 'updates'],
      [{ ...TP_UPDATE, filter: { orderreference: [{ value: 'o' }] } }, '60019', 'transactionreference'],
    ];
    for (const [item, code, field] of refused) {
      const answer = await tp(g, item);
      assert.deepEqual([answer.errorcode, answer.errordata[0]], [code, field], `the door: ${JSON.stringify(item)} → ${JSON.stringify(answer)}`);
      assert.equal(envelope({ ...SEED_004_ENVELOPE, request: [item] }), false, `the schema took what the door refused: ${JSON.stringify(item)}`);
    }
  });

  test('every field the door\'s table declares is in the schema, with its rule; the check fails when they drift', () => {
    assert.deepEqual(tpDrift(doc), []);
    assert.deepEqual([...tpItemSchemas(doc).keys()].sort(), [...SUPPORTED_TYPES].sort());
    let fields = 0;
    for (const type of SUPPORTED_TYPES) fields += Object.keys(REQUEST_FIELDS[type]).length + Object.keys(ITEM_EXTRA_SCHEMAS[type].properties).length;
    assert.ok(fields > 25, `only ${fields} fields`);
    // A field dropped from the schema by hand, a rule changed, a requirement lost: each is found.
    const auth = (d: Doc) => tpItemSchemas(d).get('AUTH')!;
    const dropped = structuredClone(doc);
    delete auth(dropped).properties!.currencyiso3a;
    assert.deepEqual(tpDrift(dropped), ['AUTH.currencyiso3a: not in the schema']);
    const loosened = structuredClone(doc);
    (auth(loosened).properties!.orderreference as { maxLength: number }).maxLength = 26;
    assert.deepEqual(tpDrift(loosened), ['AUTH.orderreference: not the table\'s rule']);
    const optional = structuredClone(doc);
    auth(optional).required = auth(optional).required!.filter((n) => n !== 'returnurl');
    assert.deepEqual(tpDrift(optional), ['AUTH.returnurl: required by the door, not by the schema']);
    const noFilter = structuredClone(doc);
    delete tpItemSchemas(noFilter).get('TRANSACTIONUPDATE')!.properties!.filter;
    assert.deepEqual(tpDrift(noFilter), ['TRANSACTIONUPDATE.filter: not in the schema']);
  });

  test('the door\'s answers match TpResponseEnvelope, and a 401 its schema', async () => {
    const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
    ajv.addSchema(doc, 'openapi');
    const reply = ajv.getSchema('openapi#/components/schemas/TpResponseEnvelope')!;
    const ok = (value: unknown) => assert.ok(reply(value), `${ajv.errorsText(reply.errors)}\n${JSON.stringify(value)}`);
    const op = doc.paths['/json/']!.post! as unknown as { responses: Record<string, { content: Record<string, { schema: object }> }> };
    assert.deepEqual(op.responses['200']!.content['application/json']!.schema, { $ref: '#/components/schemas/TpResponseEnvelope' });
    const auth = await tpJson(g, [SEED_004_AUTH]);
    ok(auth.body);
    const reference = auth.body.response[0].transactionreference;
    const query = await tpJson(g, [{ requesttypedescriptions: ['TRANSACTIONQUERY'], filter: { transactionreference: [{ value: reference }] } }]);
    assert.equal(query.body.response[0].found, '1');
    ok(query.body);
    const update = await tpJson(g, [{ ...TP_UPDATE, filter: { transactionreference: [{ value: reference }] } }]);
    assert.equal(update.body.response[0].errorcode, '0', JSON.stringify(update.body));
    ok(update.body);
    ok((await tpJson(g, [{ ...TP_REFUND, parenttransactionreference: reference }])).body);
    ok((await tpJson(g, [{ ...SEED_004_AUTH, currencyiso3a: 'XXX' }])).body);
    ok((await tpRaw(g, '/json/', JSON.stringify({ ...SEED_004_ENVELOPE, version: '9' }))).body);
    ok((await tpRaw(g, '/json/', '{not json')).body);
    // The schema can fail: an item without its errorcode is refused.
    const broken = structuredClone(auth.body);
    delete broken.response[0].errorcode;
    assert.equal(reply(broken), false);
    const denied = await fetch(`${g.url}/json/`, { method: 'POST', headers: { Authorization: basicAuth(TP_USER, 'wrong') }, body: JSON.stringify(SEED_004_ENVELOPE) });
    assert.equal(denied.status, 401);
    const unauthorized = (doc.paths['/json/']!.post! as unknown as { responses: Record<string, { content: Record<string, { schema: object }> }> }).responses['401']!.content['application/json']!.schema;
    assert.ok(ajv.validate(unauthorized, await denied.json()));
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
