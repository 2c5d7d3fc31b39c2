/**
 * The gateway's HTTP surface as an OpenAPI 3.1 document (`GET /openapi.json`) and the reference
 * page rendered from it (`GET /docs`, Swagger UI served from node_modules). Request parameters are
 * the very zod schemas the routes validate with (api/v1/params.ts, the simulator's script API),
 * turned into JSON Schema by zod, so the document cannot describe a parameter the API refuses.
 * A route added to the app without a line here fails test/api/openapi.test.ts.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import * as P from './v1/params.js';
import { stripeErrorBody } from './v1/errors.js';
import { NOTIFY_PATH } from './upstream.js';
import { cancelDisputeSchema, completeSchema, escalateDisputeSchema, faultSchema, judgeDisputeSchema, openDisputeSchema } from '../simulator/routes.js';
import { OBJECT_SCHEMAS } from './openapi-objects.js';
import { ITEM_EXTRA_SCHEMAS, REQUEST_FIELDS, SUPPORTED_TYPES, type FieldRule, type SupportedType } from './webservices/requests.js';
import { MAX_ITEMS } from './webservices/plugin.js';
import { SETTLE } from '../core/settlement/records.js';
import { TP_MESSAGES } from './webservices/codes.js';

type Json = Record<string, unknown>;

/** A zod schema as the JSON Schema of what a client sends (zod's input side: before transforms). */
export function jsonSchemaOf(schema: z.ZodType): Json {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as Json;
  return rest;
}

// ---------------------------------------------------------------------------------------------
// /v1: every route, the schema its handler parses, and what it answers with.

interface V1Route {
  method: 'GET' | 'POST' | 'DELETE';
  /** Fastify's path under /v1. */
  path: string;
  tag: string;
  summary: string;
  /** The schema the route passes to parseParams: the query of a GET or DELETE, the body of a POST. */
  params: z.ZodType;
  /** components.schemas name of the answer; `list` wraps it in Stripe's list object. */
  returns: string;
  list?: boolean;
  /** It may call Antom: a decline is a 402 card_error, Antom not answering a 502. */
  upstream?: boolean;
  /** A publishable key may call it too. */
  publishable?: boolean;
  description?: string;
  /** The body is multipart/form-data, of this schema (POST /v1/files), instead of a form or JSON. */
  multipart?: Json;
  /** The answer is the bytes of a file, of one of these media types, instead of an object. */
  binary?: readonly string[];
}

const V1_ROUTES: readonly V1Route[] = [
  { method: 'POST', path: '/payment_intents', tag: 'Payment intents', summary: 'Create a PaymentIntent', params: P.createPaymentIntent, returns: 'PaymentIntent', upstream: true,
    description: 'With `confirm=true` the wallet payment starts at once and the answer carries `next_action.redirect_to_url` (status `requires_action`).' },
  { method: 'GET', path: '/payment_intents', tag: 'Payment intents', summary: 'List PaymentIntents', params: P.listPaymentIntents, returns: 'PaymentIntent', list: true },
  { method: 'GET', path: '/payment_intents/:id', tag: 'Payment intents', summary: 'Retrieve a PaymentIntent', params: P.retrieve, returns: 'PaymentIntent', publishable: true,
    description: 'A publishable key may retrieve it together with its `client_secret`, and gets the fields a shopper\'s browser may see.' },
  { method: 'POST', path: '/payment_intents/:id', tag: 'Payment intents', summary: 'Update a PaymentIntent', params: P.updatePaymentIntent, returns: 'PaymentIntent' },
  { method: 'POST', path: '/payment_intents/:id/confirm', tag: 'Payment intents', summary: 'Confirm a PaymentIntent (start the wallet payment)', params: P.confirmPaymentIntent, returns: 'PaymentIntent', upstream: true },
  { method: 'POST', path: '/payment_intents/:id/cancel', tag: 'Payment intents', summary: 'Cancel a PaymentIntent', params: P.cancelPaymentIntent, returns: 'PaymentIntent', upstream: true },
  { method: 'GET', path: '/charges', tag: 'Charges', summary: 'List charges', params: P.listCharges, returns: 'Charge', list: true },
  { method: 'GET', path: '/charges/:id', tag: 'Charges', summary: 'Retrieve a charge', params: P.retrieve, returns: 'Charge' },
  { method: 'POST', path: '/refunds', tag: 'Refunds', summary: 'Refund a payment, in full or in part', params: P.createRefund, returns: 'Refund', upstream: true },
  { method: 'GET', path: '/refunds', tag: 'Refunds', summary: 'List refunds', params: P.listRefunds, returns: 'Refund', list: true },
  { method: 'GET', path: '/refunds/:id', tag: 'Refunds', summary: 'Retrieve a refund', params: P.retrieve, returns: 'Refund' },
  { method: 'POST', path: '/refunds/:id', tag: 'Refunds', summary: 'Update a refund\'s metadata', params: P.updateRefund, returns: 'Refund' },
  { method: 'GET', path: '/balance', tag: 'Balance', summary: 'The balance in the settlement currency: available and pending, per currency', params: P.retrieveBalance, returns: 'Balance' },
  { method: 'GET', path: '/balance_transactions', tag: 'Balance', summary: 'List balance transactions (charges, refunds, dispute withdrawals and reinstatements)', params: P.listBalanceTransactions, returns: 'BalanceTransaction', list: true },
  { method: 'GET', path: '/balance_transactions/:id', tag: 'Balance', summary: 'Retrieve a balance transaction', params: P.retrieveBalance, returns: 'BalanceTransaction' },
  { method: 'GET', path: '/disputes', tag: 'Disputes', summary: 'List disputes (chargebacks Alipay told of)', params: P.listDisputes, returns: 'Dispute', list: true },
  { method: 'GET', path: '/disputes/:id', tag: 'Disputes', summary: 'Retrieve a dispute', params: P.retrieve, returns: 'Dispute' },
  { method: 'POST', path: '/disputes/:id', tag: 'Disputes', summary: 'Update a dispute: evidence text and file ids (POST /v1/files), metadata; submit=true sends the defence, one PDF (Antom supplyDefenseDocument)', params: P.updateDispute, returns: 'Dispute', upstream: true },
  { method: 'POST', path: '/disputes/:id/close', tag: 'Disputes', summary: 'Close a dispute: accept the loss (Antom acceptDispute)', params: P.closeDispute, returns: 'Dispute', upstream: true },
  { method: 'POST', path: '/files', tag: 'Files', summary: 'Upload a file: dispute evidence (PDF, PNG or JPEG, at most 5 MB)', params: P.createFile, returns: 'File',
    description: 'multipart/form-data, as Stripe\'s SDKs send it. The type is read from the file\'s bytes, not from its name or Content-Type. Stripe\'s SDKs send uploads to `files.stripe.com`: their `host` option moves that too.',
    multipart: {
      type: 'object', required: ['purpose', 'file'], additionalProperties: false,
      properties: { purpose: { type: 'string', enum: ['dispute_evidence'] }, file: { type: 'string', format: 'binary', description: 'PDF, PNG or JPEG, at most 5 MB (5242880 bytes).' } },
    } },
  { method: 'GET', path: '/files', tag: 'Files', summary: 'List files', params: P.listFiles, returns: 'File', list: true },
  { method: 'GET', path: '/files/:id', tag: 'Files', summary: 'Retrieve a file', params: P.retrieve, returns: 'File' },
  { method: 'GET', path: '/files/:id/contents', tag: 'Files', summary: 'Download a file\'s bytes (its `url`)', params: P.fileContents, returns: 'File',
    binary: ['application/pdf', 'image/png', 'image/jpeg'] },
  { method: 'POST', path: '/checkout/sessions', tag: 'Checkout sessions', summary: 'Create a Checkout Session (a hosted payment page)', params: P.createCheckoutSession, returns: 'CheckoutSession',
    description: 'The answer\'s `url` is the hosted checkout page (`/pay/{id}`) to send the shopper to.' },
  { method: 'GET', path: '/checkout/sessions', tag: 'Checkout sessions', summary: 'List Checkout Sessions', params: P.listCheckoutSessions, returns: 'CheckoutSession', list: true },
  { method: 'GET', path: '/checkout/sessions/:id', tag: 'Checkout sessions', summary: 'Retrieve a Checkout Session', params: P.retrieve, returns: 'CheckoutSession' },
  { method: 'POST', path: '/checkout/sessions/:id/expire', tag: 'Checkout sessions', summary: 'Expire an open Checkout Session', params: P.expireCheckoutSession, returns: 'CheckoutSession', upstream: true },
  { method: 'GET', path: '/checkout/sessions/:id/line_items', tag: 'Checkout sessions', summary: 'List a Checkout Session\'s line items', params: P.listOnly, returns: 'LineItem', list: true },
  { method: 'POST', path: '/products', tag: 'Products', summary: 'Create a product', params: P.createProduct, returns: 'Product' },
  { method: 'GET', path: '/products', tag: 'Products', summary: 'List products', params: P.listProducts, returns: 'Product', list: true },
  { method: 'GET', path: '/products/:id', tag: 'Products', summary: 'Retrieve a product', params: P.retrieve, returns: 'Product' },
  { method: 'POST', path: '/products/:id', tag: 'Products', summary: 'Update a product', params: P.updateProduct, returns: 'Product' },
  { method: 'POST', path: '/prices', tag: 'Prices', summary: 'Create a price', params: P.createPrice, returns: 'Price' },
  { method: 'GET', path: '/prices', tag: 'Prices', summary: 'List prices', params: P.listPrices, returns: 'Price', list: true },
  { method: 'GET', path: '/prices/:id', tag: 'Prices', summary: 'Retrieve a price', params: P.retrieve, returns: 'Price' },
  { method: 'POST', path: '/prices/:id', tag: 'Prices', summary: 'Update a price', params: P.updatePrice, returns: 'Price' },
  { method: 'POST', path: '/webhook_endpoints', tag: 'Webhooks', summary: 'Create a webhook endpoint', params: P.createWebhookEndpoint, returns: 'WebhookEndpoint',
    description: 'The answer carries the endpoint\'s signing `secret`; it is shown here and never again.' },
  { method: 'GET', path: '/webhook_endpoints', tag: 'Webhooks', summary: 'List webhook endpoints', params: P.listOnly, returns: 'WebhookEndpoint', list: true },
  { method: 'GET', path: '/webhook_endpoints/:id', tag: 'Webhooks', summary: 'Retrieve a webhook endpoint', params: P.retrieve, returns: 'WebhookEndpoint' },
  { method: 'POST', path: '/webhook_endpoints/:id', tag: 'Webhooks', summary: 'Update a webhook endpoint', params: P.updateWebhookEndpoint, returns: 'WebhookEndpoint' },
  { method: 'DELETE', path: '/webhook_endpoints/:id', tag: 'Webhooks', summary: 'Delete a webhook endpoint', params: P.retrieve, returns: 'DeletedWebhookEndpoint' },
  { method: 'GET', path: '/events', tag: 'Webhooks', summary: 'List events', params: P.listEvents, returns: 'Event', list: true },
  { method: 'GET', path: '/events/:id', tag: 'Webhooks', summary: 'Retrieve an event', params: P.retrieve, returns: 'Event' },
  { method: 'GET', path: '/webhook_deliveries', tag: 'Webhooks', summary: 'List webhook deliveries (every attempt to send an event)', params: P.listDeliveries, returns: 'WebhookDelivery', list: true },
  { method: 'GET', path: '/webhook_deliveries/:id', tag: 'Webhooks', summary: 'Retrieve a webhook delivery', params: P.retrieve, returns: 'WebhookDelivery' },
];

/** `/payment_intents/:id` → `/payment_intents/{id}`, and the path parameters it names. */
function openApiPath(path: string): { path: string; names: string[] } {
  const names: string[] = [];
  return { path: path.replace(/:([A-Za-z_]+)/g, (_m, name: string) => (names.push(name), `{${name}}`)), names };
}

const pathParams = (names: string[]) => names.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string', maxLength: 255 } }));

/** Each top-level parameter of a query schema; objects and arrays in Stripe's bracket form (`created[gte]`, `expand[]`). */
function queryParams(schema: z.ZodType): Json[] {
  const js = jsonSchemaOf(schema) as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(js.properties ?? {}).map(([name, s]) => {
    const nested = s.type === 'object' || s.type === 'array' || Array.isArray(s.anyOf);
    return { name, in: 'query', required: (js.required ?? []).includes(name), schema: s, ...(nested ? { style: 'deepObject', explode: true } : {}) };
  });
}

/** What each error status of /v1 means; the body is always the Error schema. */
const ERROR_STATUSES: Record<number, string> = {
  400: 'Bad parameters (`param` names the one), an action the object\'s state does not allow, or (`business_category_prohibited`) a business on Alipay\'s prohibited list.',
  401: 'No API key, a key that is not this gateway\'s, or a publishable key where a secret one is needed.',
  402: 'The wallet declined the payment (`card_error`, with `decline_code` and the PaymentIntent).',
  404: 'No such object in this account and mode.',
  409: 'Another request with this Idempotency-Key is still running; retry shortly.',
  429: 'Too many requests per second for this key (Retry-After).',
  500: 'Something failed inside the gateway; logged with the Request-Id. Retrying is safe.',
  502: 'Antom did not answer in time; retry with the same Idempotency-Key.',
  503: 'The store cannot be reached; retry (Retry-After).',
};
const errorResponse = (status: number) => ({ description: ERROR_STATUSES[status]!, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });

function v1Operation(r: V1Route): Json {
  const { names } = openApiPath(r.path);
  const isBody = r.method === 'POST';
  const returns = { $ref: `#/components/schemas/${r.returns}` };
  const ok = r.list
    ? { type: 'object', required: ['object', 'url', 'has_more', 'data'], properties: { object: { const: 'list' }, url: { type: 'string' }, has_more: { type: 'boolean' }, data: { type: 'array', items: returns } } }
    : returns;
  const responses: Json = {
    200: r.binary
      ? { description: 'The file\'s bytes, with its media type.', content: Object.fromEntries(r.binary.map((t) => [t, { schema: { type: 'string', format: 'binary' } }])) }
      : { description: r.list ? `A page of ${r.returns} objects, newest first.` : `The ${r.returns}.`, content: { 'application/json': { schema: ok } } },
  };
  const statuses = [400, 401, ...(r.upstream ? [402] : []), 404, ...(isBody ? [409] : []), 429, 500, ...(r.upstream ? [502] : []), 503];
  for (const status of statuses) responses[status] = errorResponse(status);
  const body = jsonSchemaOf(r.params);
  return {
    tags: [r.tag],
    summary: r.summary,
    ...(r.description ? { description: r.description } : {}),
    operationId: `${r.method.toLowerCase()}${r.path.replace(/[/:_](\w)/g, (_m, c: string) => c.toUpperCase()).replace(/[^A-Za-z]/g, '')}`,
    ...(r.publishable ? { 'x-publishable-key': true } : {}),
    parameters: [
      ...pathParams(names),
      ...(isBody ? [{ $ref: '#/components/parameters/IdempotencyKey' }] : queryParams(r.params)),
      { $ref: '#/components/parameters/StripeVersion' },
    ],
    ...(isBody ? {
      requestBody: {
        required: r.multipart !== undefined || ((body.required as string[] | undefined) ?? []).length > 0,
        content: r.multipart
          ? { 'multipart/form-data': { schema: r.multipart } }
          : { 'application/x-www-form-urlencoded': { schema: body }, 'application/json': { schema: body } },
      },
    } : {}),
    responses,
  };
}

// ---------------------------------------------------------------------------------------------
// The Trust Payments door: request items from the field table its handlers check with
// (webservices/requests.ts), answers from the code that builds them.

/** One plain string field of the door's table as JSON Schema: the same rule, so a value the door refuses the schema refuses too. */
export function tpFieldSchema(r: FieldRule): Json {
  const patterns = [...(r.pattern ? [r.pattern] : []), ...(r.url ? [/^[Hh][Tt][Tt][Pp][Ss]?:/] : [])];
  if (patterns.some((p) => p.flags !== '')) throw new Error('a field rule\'s pattern has flags JSON Schema cannot carry');
  return {
    type: 'string',
    description: r.description,
    ...(r.required ? { minLength: 1 } : {}),
    ...(r.max !== undefined ? { maxLength: r.max } : {}),
    ...(patterns.length === 1 ? { pattern: patterns[0]!.source } : patterns.length > 1 ? { allOf: patterns.map((p) => ({ pattern: p.source })) } : {}),
    ...(r.oneOf ? { enum: [...r.oneOf] } : {}),
    ...(r.positive ? { not: { pattern: '^0+$' } } : {}),
    ...(r.url ? { format: 'uri' } : {}),
  };
}

const TP_ITEM_NAMES: Readonly<Record<SupportedType, string>> = {
  AUTH: 'TpAuthRequest', REFUND: 'TpRefundRequest', TRANSACTIONQUERY: 'TpTransactionQueryRequest', TRANSACTIONUPDATE: 'TpTransactionUpdateRequest',
};

/** One request type's item: its table's fields, the fields described by hand beside it, and the type itself. */
function tpItemSchema(type: SupportedType): Json {
  const table = REQUEST_FIELDS[type];
  const extra = ITEM_EXTRA_SCHEMAS[type];
  return {
    type: 'object',
    title: `${type} request`,
    description: 'Every value is a string (or, for filter and updates, objects of strings). Fields not listed are ignored.',
    required: [...Object.entries(table).filter(([, r]) => r.required).map(([name]) => name), ...(extra.required ?? [])],
    properties: {
      requesttypedescriptions: { type: 'array', items: { const: type }, minItems: 1, maxItems: 1, description: 'The request type, as the official clients send it.' },
      requesttypedescription: { const: type, description: 'The request type, the singular form (not together with requesttypedescriptions: 60040).' },
      ...Object.fromEntries(Object.entries(table).map(([name, rule]) => [name, tpFieldSchema(rule)])),
      ...extra.properties,
    },
    oneOf: [{ required: ['requesttypedescriptions'] }, { required: ['requesttypedescription'] }],
  };
}

const TP_CODES = Object.entries(TP_MESSAGES).map(([code, message]) => `${code} ${message}`).join('; ');
const tpString = (description: string): Json => ({ type: 'string', description });

/** The fields of a transaction as replies and TRANSACTIONQUERY records carry them (core/settlement/fields.ts transactionFields). */
const TP_TRANSACTION_FIELDS: Record<string, Json> = {
  transactionreference: tpString('The transaction\'s reference (`<n>-<n>-<n>`).'),
  requesttypedescription: { type: 'string', enum: ['AUTH', 'REFUND'] },
  sitereference: tpString('Its site (records only).'),
  accounttypedescription: { const: 'ECOM' },
  paymenttypedescription: { const: 'ALIPAY' },
  baseamount: { type: 'string', pattern: '^[0-9]+$', description: 'Minor units.' },
  mainamount: tpString('Major units, e.g. "10.50" (records only).'),
  currencyiso3a: tpString('ISO 4217.'),
  settlestatus: { type: 'string', enum: Object.values(SETTLE).map(String), description: Object.entries(SETTLE).map(([name, n]) => `${n} ${name}`).join(', ') + '.' },
  settleduedate: tpString('YYYY-MM-DD.'),
  settledtimestamp: tpString('YYYY-MM-DD HH:MM:SS (UTC), once settled.'),
  transactionstartedtimestamp: tpString('YYYY-MM-DD HH:MM:SS (UTC).'),
  errorcode: { type: 'string', pattern: '^[0-9]+$', description: `"0" when done; otherwise why not. Codes: ${TP_CODES}.` },
  errormessage: tpString('The code\'s message.'),
  livestatus: { type: 'string', enum: ['0', '1'] },
  merchantname: tpString('The site\'s merchant name.'),
  'partner id': tpString('The site\'s partner id.'),
  interface: tpString('Records only.'),
  orderreference: tpString('The merchant\'s order reference, when one was sent.'),
  parenttransactionreference: tpString('A REFUND\'s AUTH.'),
  operatorname: tpString('The webservices user who made it.'),
  applicationtype: tpString('WAP, when the AUTH said so.'),
  authcode: tpString('DECLINED, for a declined AUTH.'),
  acquirerresponsecode: tpString('05, for a declined AUTH.'),
  investigation: tpString('60034 … since …: the outcome is not known and is being looked into.'),
};

const TP_SCHEMAS: Record<string, Json> = {
  TpRequestEnvelope: {
    type: 'object', title: 'Trust Payments request envelope', required: ['version', 'request'],
    properties: {
      alias: tpString('The webservices user (the HTTP Basic credentials are what count).'),
      version: { const: '1.00', description: 'The JSON interface\'s version (30007 otherwise).' },
      request: {
        anyOf: [{ type: 'array', minItems: 1, maxItems: MAX_ITEMS, items: { $ref: '#/components/schemas/TpRequestItem' } }, { $ref: '#/components/schemas/TpRequestItem' }],
        description: `The request items, handled in order, each on its own (one refused does not stop the next); at most ${MAX_ITEMS}. A single item may be sent without the list.`,
      },
    },
  },
  TpRequestItem: {
    title: 'Trust Payments request item', description: 'One request, of the type its requesttypedescriptions names.',
    oneOf: SUPPORTED_TYPES.map((type) => ({ $ref: `#/components/schemas/${TP_ITEM_NAMES[type]}` })),
  },
  ...Object.fromEntries(SUPPORTED_TYPES.map((type) => [TP_ITEM_NAMES[type], tpItemSchema(type)])),
  TpResponseEnvelope: {
    type: 'object', title: 'Trust Payments response envelope', required: ['requestreference', 'version', 'secrand', 'response'],
    properties: {
      requestreference: tpString('The REQUESTREFERENCE header, else the first item\'s requestreference, else the gateway\'s own `W1-…`.'),
      version: { const: '1.00' },
      secrand: tpString('Random padding.'),
      response: { type: 'array', minItems: 1, items: { $ref: '#/components/schemas/TpResponseItem' }, description: 'One item per request type handled, in order (a refused envelope: one item of type ERROR).' },
    },
  },
  TpResponseItem: {
    type: 'object', title: 'Trust Payments response item', required: ['requesttypedescription', 'errorcode', 'errormessage'],
    description: 'A refused request: requesttypedescription, errorcode, errormessage, errordata. An AUTH or REFUND: its transaction\'s fields. A TRANSACTIONQUERY: found and records.',
    properties: {
      ...TP_TRANSACTION_FIELDS,
      requesttypedescription: tpString('The request type answered; ERROR when the envelope or the type could not be read.'),
      errordata: { type: 'array', items: { type: 'string' }, description: 'The fields at fault, then why.' },
      redirecturl: { type: 'string', format: 'uri', description: 'An AUTH: where to send the shopper to pay in the wallet.' },
      found: { type: 'string', pattern: '^[0-9]+$', description: 'A TRANSACTIONQUERY: how many records.' },
      records: { type: 'array', items: { $ref: '#/components/schemas/TpTransaction' } },
    },
    additionalProperties: { type: 'string' },
  },
  TpTransaction: {
    type: 'object', title: 'Trust Payments transaction record',
    required: ['transactionreference', 'requesttypedescription', 'sitereference', 'baseamount', 'currencyiso3a', 'settlestatus', 'errorcode', 'errormessage'],
    properties: TP_TRANSACTION_FIELDS,
    additionalProperties: { type: 'string', description: 'Fields the AUTH kept (billing…, customfield1–5).' },
  },
};

// ---------------------------------------------------------------------------------------------
// Everything else the app serves: the other doors, the pages and the probes.

interface OtherRoute {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  tag: string;
  summary: string;
  description?: string;
  query?: z.ZodType;
  body?: { type: string; schema?: Json | z.ZodType; description?: string };
  /** Status → description and content type of the answer. */
  responses: Record<number, [description: string, type?: string, schema?: Json]>;
  /** Mounted only with the built-in simulator. */
  simulator?: boolean;
}

const HTML = 'text/html';
const JSON_TYPE = 'application/json';
const PAGE = (what: string): OtherRoute['responses'] => ({ 200: [what, HTML], 303: ['Redirect (to sign in, or after the form)'] });
const FORM = { type: 'application/x-www-form-urlencoded', description: 'The page\'s form, with its CSRF token `_csrf`.' };
const simError = { type: 'object', properties: { error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } } } };
const TP_UNAUTHORIZED = { type: 'object', required: ['errorcode', 'errormessage'], properties: { errorcode: { const: '6' }, errormessage: { type: 'string' } } };
const TP_ENVELOPE = 'An envelope `{alias, version, request: [item, …]}` of Trust Payments request items (AUTH, REFUND, TRANSACTIONQUERY, TRANSACTIONUPDATE), authenticated with HTTP Basic auth of a webservices user.';

const OTHER_ROUTES: readonly OtherRoute[] = [
  { method: 'POST', path: '/json/', tag: 'Trust Payments webservices', summary: 'Trust Payments webservices, JSON', description: `${TP_ENVELOPE} Every answer is HTTP 200 with an \`errorcode\` per item, except bad credentials (401).`,
    body: { type: JSON_TYPE, schema: { $ref: '#/components/schemas/TpRequestEnvelope' }, description: TP_ENVELOPE },
    responses: { 200: ['The response envelope: one item per request, each with `errorcode` and `errormessage`.', JSON_TYPE, { $ref: '#/components/schemas/TpResponseEnvelope' }], 401: ['Unknown webservices user or wrong password', JSON_TYPE, TP_UNAUTHORIZED] } },
  { method: 'POST', path: '/xml/', tag: 'Trust Payments webservices', summary: 'Trust Payments webservices, XML',
    description: 'The same requests as `/json/`, as a `<requestblock version="3.67">`: each `<request type="…">` carries the fields of `TpRequestItem` (the same names and rules), grouped in elements as Trust Payments\' XML has them; the `<responseblock>` carries the fields of `TpResponseItem`.',
    body: { type: 'text/xml', description: 'A Trust Payments `<requestblock>`: the fields of `TpAuthRequest`, `TpRefundRequest`, `TpTransactionQueryRequest` or `TpTransactionUpdateRequest` in XML.' },
    responses: { 200: ['The `<responseblock>`: the fields of `TpResponseItem` in XML', 'text/xml'], 401: ['Unknown webservices user or wrong password', JSON_TYPE, TP_UNAUTHORIZED] } },
  { method: 'POST', path: NOTIFY_PATH, tag: 'Antom notifications', summary: 'Antom\'s payment and refund notifications',
    description: 'Where Antom (or the built-in simulator) posts signed `notifyPayment`, `notifyRefund` and `notifyDispute` messages. The signature, the amount and the payment are verified before anything changes; duplicates change nothing.',
    body: { type: JSON_TYPE, description: 'Antom\'s notification, signed in the `Signature` header over the exact bytes.' },
    responses: { 200: ['Acknowledged, in Antom\'s shape (`result.resultStatus: "S"`)', JSON_TYPE], 400: ['Refused: bad signature, unknown payment or wrong amount', JSON_TYPE], 429: ['Too many refused notifications from this source', JSON_TYPE] } },
  { method: 'GET', path: '/return/:attempt', tag: 'Antom notifications', summary: 'Where the wallet sends the shopper back',
    description: 'Asks Antom for the payment\'s outcome, then redirects to the merchant\'s `return_url` with `payment_intent`, `payment_intent_client_secret` and `redirect_status` (Trust Payments AUTHs: `transactionreference`, `settlestatus`, `errorcode`).',
    responses: { 303: ['Redirect to the merchant\'s return_url'], 200: ['A status page when the payment has no return_url', HTML], 404: ['Unknown payment attempt', HTML] } },
  { method: 'GET', path: '/pay/:id', tag: 'Hosted checkout', summary: 'The hosted checkout page of a Checkout Session', description: 'A QR code on a desktop, a wallet redirect on a phone.',
    responses: { 200: ['The checkout page', HTML], 404: ['Unknown or expired checkout', HTML] } },
  { method: 'POST', path: '/pay/:id', tag: 'Hosted checkout', summary: 'The checkout page starts a wallet payment', body: { type: 'application/x-www-form-urlencoded', description: '`method` (alipay or alipayplus) and, for Alipay+, `wallet`.' },
    responses: { 200: ['With `Accept: application/json`: `{redirect}` or `{qr: {svg, walletUrl}}`', JSON_TYPE], 303: ['Redirect to the wallet or back to the page'], 400: ['No payment method chosen, or the payment was refused', JSON_TYPE] } },
  { method: 'GET', path: '/pay/:id/status', tag: 'Hosted checkout', summary: 'The checkout page polls its session\'s status',
    responses: { 200: ['`{status, payment_status, next, error}`', JSON_TYPE], 404: ['Unknown checkout', JSON_TYPE] } },
  { method: 'GET', path: '/pay/:id/return', tag: 'Hosted checkout', summary: 'Where the wallet sends a checkout\'s shopper back', responses: { 303: ['To the success_url when paid, else back to the checkout page'], 404: ['Unknown checkout', HTML] } },
  { method: 'POST', path: '/ams/api/v1/payments/:name', tag: 'Simulator', simulator: true, summary: 'The built-in Antom: pay, inquiryPayment, cancel, refund, inquiryRefund, acceptDispute, supplyDefenseDocument',
    description: 'The same endpoints, request signatures and answers as Antom\'s live API (`specs/antom.md`); test mode calls them by default.',
    body: { type: JSON_TYPE, description: 'An Antom request, signed in the `Signature` header.' }, responses: { 200: ['Antom\'s signed answer', JSON_TYPE], 400: ['Unreadable request', 'text/plain'], 401: ['Bad signature', 'text/plain'] } },
  { method: 'POST', path: '/ams/sandbox/api/v1/payments/:name', tag: 'Simulator', simulator: true, summary: 'The built-in Antom, at Antom\'s sandbox paths',
    body: { type: JSON_TYPE }, responses: { 200: ['Antom\'s signed answer', JSON_TYPE], 400: ['Unreadable request', 'text/plain'], 401: ['Bad signature', 'text/plain'] } },
  { method: 'GET', path: '/simulator/cashier', tag: 'Simulator', simulator: true, summary: 'The simulated wallet cashier page (desktop: a QR code)', responses: { 200: ['The page', HTML], 404: ['Unknown payment', HTML] } },
  { method: 'GET', path: '/simulator/wallet', tag: 'Simulator', simulator: true, summary: 'The simulated wallet app page (what the QR code opens)', responses: { 200: ['The page', HTML], 404: ['Unknown payment', HTML] } },
  { method: 'GET', path: '/simulator/status', tag: 'Simulator', simulator: true, summary: 'The cashier page polls its payment\'s status', responses: { 200: ['The payment\'s status', JSON_TYPE], 404: ['Unknown payment', JSON_TYPE] } },
  { method: 'POST', path: '/simulator/pay', tag: 'Simulator', simulator: true, summary: 'The shopper authorizes or fails the simulated payment', body: { type: 'application/x-www-form-urlencoded', description: '`codeValue`, `action` (authorize or fail), `view`, and the wallet.' },
    responses: { 303: ['To the result page'], 200: ['The page again with a message', HTML], 404: ['Unknown payment', HTML] } },
  { method: 'GET', path: '/simulator/result', tag: 'Simulator', simulator: true, summary: 'The simulated payment\'s result page', responses: { 200: ['The page', HTML], 404: ['Unknown payment', HTML] } },
  { method: 'POST', path: '/simulator/v1/complete', tag: 'Simulator', simulator: true, summary: 'Script API: complete a payment as a shopper would (succeeded, failed or processing)',
    body: { type: JSON_TYPE, schema: completeSchema }, responses: { 200: ['The simulator\'s view of the payment, with its notifications', JSON_TYPE], 400: ['Invalid request', JSON_TYPE, simError], 404: ['Unknown payment', JSON_TYPE, simError] } },
  { method: 'GET', path: '/simulator/v1/payments', tag: 'Simulator', simulator: true, summary: 'Script API: the payment behind a cashier URL',
    query: z.object({ url: z.string().describe('A URL the simulator handed out (normalUrl, applinkUrl or schemeUrl).') }),
    responses: { 200: ['The simulator\'s view of the payment', JSON_TYPE], 400: ['No usable url', JSON_TYPE, simError], 404: ['Unknown payment', JSON_TYPE, simError] } },
  { method: 'GET', path: '/simulator/v1/payments/:paymentId', tag: 'Simulator', simulator: true, summary: 'Script API: a payment by Antom\'s paymentId',
    responses: { 200: ['The simulator\'s view of the payment', JSON_TYPE], 404: ['Unknown payment', JSON_TYPE, simError] } },
  { method: 'POST', path: '/simulator/v1/disputes', tag: 'Simulator', simulator: true, summary: 'Script API: the buyer disputes a paid payment; Antom sends notifyDispute DISPUTE_CREATED',
    body: { type: JSON_TYPE, schema: openDisputeSchema }, responses: { 200: ['The simulator\'s view of the dispute, with its notifications', JSON_TYPE], 400: ['Invalid request', JSON_TYPE, simError], 404: ['Unknown payment', JSON_TYPE, simError], 409: ['Not paid, or already disputed', JSON_TYPE, simError] } },
  { method: 'GET', path: '/simulator/v1/disputes/:disputeId', tag: 'Simulator', simulator: true, summary: 'Script API: a dispute by Antom\'s disputeId',
    responses: { 200: ['The simulator\'s view of the dispute', JSON_TYPE], 404: ['Unknown dispute', JSON_TYPE, simError] } },
  { method: 'POST', path: '/simulator/v1/disputes/:disputeId/judge', tag: 'Simulator', simulator: true, summary: 'Script API: Antom judges an open dispute; sends notifyDispute DISPUTE_JUDGED',
    body: { type: JSON_TYPE, schema: judgeDisputeSchema }, responses: { 200: ['The simulator\'s view of the dispute', JSON_TYPE], 400: ['Invalid request', JSON_TYPE, simError], 404: ['Unknown dispute', JSON_TYPE, simError], 409: ['Already judged, or a result of the other kind of dispute', JSON_TYPE, simError] } },
  { method: 'POST', path: '/simulator/v1/disputes/:disputeId/escalate', tag: 'Simulator', simulator: true, summary: 'Script API: a retrieval request escalates to a chargeback; sends notifyDispute DISPUTE_CREATED (disputeType CHARGEBACK)',
    body: { type: JSON_TYPE, schema: escalateDisputeSchema }, responses: { 200: ['The simulator\'s view of the dispute', JSON_TYPE], 400: ['Invalid request', JSON_TYPE, simError], 404: ['Unknown dispute', JSON_TYPE, simError], 409: ['Closed, or not a retrieval request', JSON_TYPE, simError] } },
  { method: 'POST', path: '/simulator/v1/disputes/:disputeId/cancel', tag: 'Simulator', simulator: true, summary: 'Script API: the buyer withdraws an open chargeback; sends notifyDispute DISPUTE_CANCELLED',
    body: { type: JSON_TYPE, schema: cancelDisputeSchema }, responses: { 200: ['The simulator\'s view of the dispute', JSON_TYPE], 400: ['Invalid request', JSON_TYPE, simError], 404: ['Unknown dispute', JSON_TYPE, simError], 409: ['Closed, or a retrieval request', JSON_TYPE, simError] } },
  { method: 'POST', path: '/simulator/v1/faults', tag: 'Simulator', simulator: true, summary: 'Script API: make the next Antom calls fail, time out or answer late',
    body: { type: JSON_TYPE, schema: faultSchema }, responses: { 200: ['`{fault}`', JSON_TYPE], 400: ['Invalid request', JSON_TYPE, simError] } },
  { method: 'GET', path: '/simulator/v1/faults', tag: 'Simulator', simulator: true, summary: 'Script API: the faults still pending', responses: { 200: ['`{faults: […]}`', JSON_TYPE] } },
  { method: 'DELETE', path: '/simulator/v1/faults', tag: 'Simulator', simulator: true, summary: 'Script API: clear every pending fault', responses: { 200: ['`{deleted: n}`', JSON_TYPE] } },
  { method: 'GET', path: '/dashboard', tag: 'Dashboard', summary: 'Dashboard: overview', responses: PAGE('The page') },
  { method: 'GET', path: '/dashboard/login', tag: 'Dashboard', summary: 'Dashboard: the sign-in page', responses: { 200: ['The page', HTML] } },
  { method: 'POST', path: '/dashboard/login', tag: 'Dashboard', summary: 'Dashboard: sign in with the dashboard password', body: FORM, responses: { 303: ['Signed in: to the dashboard'], 401: ['Wrong password', HTML], 429: ['Too many attempts', HTML] } },
  { method: 'POST', path: '/dashboard/logout', tag: 'Dashboard', summary: 'Dashboard: sign out', body: FORM, responses: { 303: ['To the sign-in page'] } },
  { method: 'POST', path: '/dashboard/mode', tag: 'Dashboard', summary: 'Dashboard: switch between test and live data', body: FORM, responses: { 303: ['Back to the page'] } },
  { method: 'GET', path: '/dashboard/payments', tag: 'Dashboard', summary: 'Dashboard: payments, searchable', responses: PAGE('The page') },
  { method: 'GET', path: '/dashboard/payments/:id', tag: 'Dashboard', summary: 'Dashboard: one payment, its charges, refunds, events and Antom calls', responses: PAGE('The page') },
  { method: 'POST', path: '/dashboard/payments/:id/refund', tag: 'Dashboard', summary: 'Dashboard: refund a payment', body: FORM, responses: PAGE('The page with the outcome') },
  { method: 'POST', path: '/dashboard/payments/:id/cancel', tag: 'Dashboard', summary: 'Dashboard: cancel a payment', body: FORM, responses: PAGE('The page with the outcome') },
  { method: 'GET', path: '/dashboard/refunds', tag: 'Dashboard', summary: 'Dashboard: refunds', responses: PAGE('The page') },
  { method: 'GET', path: '/dashboard/disputes', tag: 'Dashboard', summary: 'Dashboard: disputes, those awaiting an answer first', responses: PAGE('The page') },
  { method: 'GET', path: '/dashboard/disputes/:id', tag: 'Dashboard', summary: 'Dashboard: one dispute, its evidence and timeline', responses: PAGE('The page') },
  { method: 'POST', path: '/dashboard/disputes/:id/evidence', tag: 'Dashboard', summary: 'Dashboard: save a dispute\'s evidence, or save and send it to Alipay', body: FORM, responses: PAGE('The page with the outcome') },
  { method: 'GET', path: '/dashboard/balance', tag: 'Dashboard', summary: 'Dashboard: the balance and its transactions', responses: PAGE('The page') },
  { method: 'GET', path: '/dashboard/balance/report.csv', tag: 'Dashboard', summary: 'Dashboard: download the settlement report of a period (from, to: YYYY-MM-DD)', responses: { 200: ['The report: CSV (RFC 4180), a header line first', 'text/csv'], 303: ['A bad period: back to the balance page, saying so'] } },
  { method: 'POST', path: '/dashboard/disputes/:id/accept', tag: 'Dashboard', summary: 'Dashboard: accept a dispute (it is lost)', body: FORM, responses: PAGE('The page with the outcome') },
  { method: 'GET', path: '/dashboard/webhooks', tag: 'Dashboard', summary: 'Dashboard: webhook endpoints', responses: PAGE('The page') },
  { method: 'POST', path: '/dashboard/webhooks', tag: 'Dashboard', summary: 'Dashboard: add a webhook endpoint', body: FORM, responses: PAGE('The page with the outcome') },
  { method: 'GET', path: '/dashboard/webhooks/:id', tag: 'Dashboard', summary: 'Dashboard: one webhook endpoint and its deliveries', responses: PAGE('The page') },
  { method: 'POST', path: '/dashboard/webhooks/:id', tag: 'Dashboard', summary: 'Dashboard: edit a webhook endpoint', body: FORM, responses: PAGE('The page with the outcome') },
  { method: 'POST', path: '/dashboard/webhooks/:id/disable', tag: 'Dashboard', summary: 'Dashboard: disable a webhook endpoint', body: FORM, responses: PAGE('The page with the outcome') },
  { method: 'POST', path: '/dashboard/webhooks/:id/enable', tag: 'Dashboard', summary: 'Dashboard: enable a webhook endpoint', body: FORM, responses: PAGE('The page with the outcome') },
  { method: 'POST', path: '/dashboard/webhooks/:id/delete', tag: 'Dashboard', summary: 'Dashboard: delete a webhook endpoint', body: FORM, responses: PAGE('The page with the outcome') },
  { method: 'GET', path: '/dashboard/events', tag: 'Dashboard', summary: 'Dashboard: events', responses: PAGE('The page') },
  { method: 'GET', path: '/dashboard/events/:id', tag: 'Dashboard', summary: 'Dashboard: one event and its deliveries', responses: PAGE('The page') },
  { method: 'POST', path: '/dashboard/events/:id/resend', tag: 'Dashboard', summary: 'Dashboard: send an event to an endpoint again', body: FORM, responses: PAGE('The page with the outcome') },
  { method: 'GET', path: '/dashboard/developers', tag: 'Dashboard', summary: 'Dashboard: API keys', responses: PAGE('The page') },
  { method: 'POST', path: '/dashboard/developers/business', tag: 'Dashboard', summary: 'Dashboard: set the business profile (MCC, category)', body: FORM, responses: PAGE('The page with the outcome') },
  { method: 'POST', path: '/dashboard/developers/keys/roll', tag: 'Dashboard', summary: 'Dashboard: roll an API key', body: FORM, responses: PAGE('The page with the new key') },
  { method: 'GET', path: '/dashboard/trust-payments', tag: 'Dashboard', summary: 'Dashboard: Trust Payments sites and notification rules', responses: PAGE('The page') },
  { method: 'POST', path: '/dashboard/trust-payments/rules', tag: 'Dashboard', summary: 'Dashboard: add a Trust Payments URL notification rule', body: FORM, responses: PAGE('The page with the outcome') },
  { method: 'POST', path: '/dashboard/trust-payments/rules/:id/remove', tag: 'Dashboard', summary: 'Dashboard: remove a Trust Payments notification rule', body: FORM, responses: PAGE('The page with the outcome') },
  { method: 'GET', path: '/v1/reports/settlement', tag: 'Balance', summary: 'The settlement report: one CSV line per balance transaction created in [from, to), with the payment\'s merchant references',
    description: 'API key as for /v1. `from` and `to`: unix seconds or milliseconds, or a UTC date (YYYY-MM-DD); `to` is exclusive. Columns: see README "Balances".',
    query: P.settlementReport, responses: { 200: ['CSV (RFC 4180), a header line first', 'text/csv'], 400: ['Bad period', JSON_TYPE], 401: ['No or bad API key', JSON_TYPE] } },
  { method: 'GET', path: '/', tag: 'Gateway', summary: 'The front page: the dashboard, or its sign-in', responses: { 303: ['To /dashboard or /dashboard/login'] } },
  { method: 'GET', path: '/healthz', tag: 'Gateway', summary: 'Liveness: the process answers', responses: { 200: ['`{ok: true}`', JSON_TYPE] } },
  { method: 'GET', path: '/readyz', tag: 'Gateway', summary: 'Readiness: the store answers and is migrated (what a load balancer checks)',
    responses: { 200: ['`{ready: true}`', JSON_TYPE], 503: ['`{ready: false, reason}`, with Retry-After', JSON_TYPE] } },
  { method: 'GET', path: '/metrics', tag: 'Gateway', summary: 'Prometheus metrics (src/metrics.ts): open on a loopback HOST, else with Authorization: Bearer METRICS_TOKEN, off without one',
    responses: { 200: ['Prometheus text format 0.0.4', 'text/plain'], 401: ['METRICS_TOKEN is set and was not sent', 'text/plain'], 404: ['Off: beyond loopback without METRICS_TOKEN', 'text/plain'] } },
  { method: 'GET', path: '/openapi.json', tag: 'Gateway', summary: 'This document', responses: { 200: ['OpenAPI 3.1', JSON_TYPE] } },
  { method: 'GET', path: '/docs', tag: 'Gateway', summary: 'The API reference, rendered from this document', responses: { 200: ['The page', HTML] } },
  { method: 'GET', path: '/docs/errors', tag: 'Gateway', summary: 'Every /v1 error code, what it means and what to do (each error\'s doc_url points here)', responses: { 200: ['The page', HTML] } },
  { method: 'GET', path: '/docs/assets/swagger-ui.css', tag: 'Gateway', summary: 'The reference page\'s style sheet (Swagger UI)', responses: { 200: ['CSS', 'text/css'] } },
  { method: 'GET', path: '/docs/assets/swagger-ui-bundle.js', tag: 'Gateway', summary: 'The reference page\'s renderer (Swagger UI)', responses: { 200: ['JavaScript', 'text/javascript'] } },
  { method: 'GET', path: '/docs/assets/docs.js', tag: 'Gateway', summary: 'The reference page\'s start-up script', responses: { 200: ['JavaScript', 'text/javascript'] } },
];

function otherOperation(r: OtherRoute): Json {
  const { names } = openApiPath(r.path);
  const schemaOf = (s: Json | z.ZodType | undefined) => (s instanceof z.ZodType ? jsonSchemaOf(s) : s);
  const parameters = [...pathParams(names), ...(r.query ? queryParams(r.query) : [])];
  return {
    tags: [r.tag],
    summary: r.summary,
    ...(r.description ? { description: r.description } : {}),
    security: [],
    ...(parameters.length ? { parameters } : {}),
    ...(r.body ? {
      requestBody: { ...(r.body.description ? { description: r.body.description } : {}), content: { [r.body.type]: r.body.schema ? { schema: schemaOf(r.body.schema) } : {} } },
    } : {}),
    responses: Object.fromEntries(Object.entries(r.responses).map(([status, [description, type, schema]]) => [
      status, { description, ...(type ? { content: { [type]: schema ? { schema } : {} } } : {}) },
    ])),
  };
}

// ---------------------------------------------------------------------------------------------

const WEBHOOK_DELIVERY = {
  type: 'object', title: 'WebhookDelivery', required: ['id', 'object'],
  description: 'One event on its way to one endpoint, with every attempt made (OpenCashier\'s own object; Stripe has none).',
  properties: {
    id: { type: 'string' }, object: { const: 'webhook_delivery' }, event: { type: 'string' }, webhook_endpoint: { type: 'string' },
    created: { type: 'integer' }, livemode: { type: 'boolean' }, status: { type: 'string', enum: ['pending', 'succeeded', 'failed'] },
    attempt_count: { type: 'integer' }, next_attempt_at: { type: ['integer', 'null'] }, last_attempt_at: { type: ['integer', 'null'] },
    last_http_status: { type: ['integer', 'null'] }, completed_at: { type: ['integer', 'null'] }, attempts: { type: 'array', items: { type: 'object' } },
  },
};

/** Stripe's BalanceTransaction and Balance, by hand as the Dispute below (the objects file holds neither). */
const BALANCE_TRANSACTION = {
  type: 'object', title: 'BalanceTransaction', required: ['id', 'object', 'amount', 'currency', 'net', 'type', 'status'],
  description: 'One change of the balance in the settlement currency: a charge, a refund, a dispute\'s withdrawal or reinstatement.',
  properties: {
    id: { type: 'string' }, object: { type: 'string', enum: ['balance_transaction'] }, amount: { type: 'integer' }, available_on: { type: 'integer' },
    created: { type: 'integer' }, currency: { type: 'string' }, description: { type: ['string', 'null'] }, exchange_rate: { type: ['number', 'null'] },
    fee: { type: 'integer' }, net: { type: 'integer' },
    fee_details: { type: 'array', items: { type: 'object', properties: { amount: { type: 'integer' }, currency: { type: 'string' }, type: { type: 'string' }, description: { type: 'string' } } } },
    reporting_category: { type: 'string' }, source: { anyOf: [{ type: 'string' }, { type: 'object' }, { type: 'null' }] },
    status: { type: 'string', enum: ['pending', 'available'] }, type: { type: 'string', enum: ['charge', 'refund', 'adjustment'] },
  },
};
const BALANCE_LINE = { type: 'object', properties: { amount: { type: 'integer' }, currency: { type: 'string' }, source_types: { type: 'object' } } };
const BALANCE = {
  type: 'object', title: 'Balance', required: ['object', 'available', 'pending'],
  properties: { object: { type: 'string', enum: ['balance'] }, available: { type: 'array', items: BALANCE_LINE }, pending: { type: 'array', items: BALANCE_LINE }, livemode: { type: 'boolean' } },
};

/**
 * Stripe's Dispute, by hand: the fixture of Stripe's schemas holds only its id and object (pruned),
 * so scripts/openapi-objects.mjs cannot derive it. Fields as Stripe's API 2023-08-16 has them.
 */
/** Stripe's File, by hand (the fixture of Stripe's schemas has none); fields as Stripe's API 2023-08-16 has them. */
const FILE = {
  type: 'object', title: 'File', required: ['id', 'object', 'created', 'purpose', 'size', 'type'],
  description: 'A file the merchant uploaded, for now dispute evidence; its bytes are at `url`, read with the API key.',
  properties: {
    id: { type: 'string' }, object: { type: 'string', enum: ['file'] }, created: { type: 'integer' }, expires_at: { type: ['integer', 'null'] },
    filename: { type: ['string', 'null'] }, links: { type: ['object', 'null'] }, purpose: { type: 'string', enum: ['dispute_evidence'] },
    size: { type: 'integer' }, title: { type: ['string', 'null'] }, type: { type: ['string', 'null'], enum: ['pdf', 'png', 'jpg', null] },
    url: { type: ['string', 'null'] },
  },
};

const DISPUTE = {
  type: 'object', title: 'Dispute', required: ['id', 'object'],
  description: 'A chargeback: Antom told of it with notifyDispute, and holds the disputed funds until it is judged.',
  properties: {
    id: { type: 'string' }, object: { type: 'string', enum: ['dispute'] }, amount: { type: 'integer' },
    balance_transactions: { type: 'array', items: { type: 'object' } },
    charge: { anyOf: [{ type: 'string' }, { $ref: '#/components/schemas/Charge' }] }, created: { type: 'integer' }, currency: { type: 'string' },
    evidence: { type: 'object' },
    evidence_details: { type: 'object', properties: {
      due_by: { type: ['integer', 'null'] }, has_evidence: { type: 'boolean' }, past_due: { type: 'boolean' }, submission_count: { type: 'integer' },
    } },
    is_charge_refundable: { type: 'boolean' }, livemode: { type: 'boolean' }, metadata: { type: 'object' },
    payment_intent: { anyOf: [{ type: 'string' }, { $ref: '#/components/schemas/PaymentIntent' }, { type: 'null' }] },
    reason: { type: 'string' },
    status: { type: 'string', enum: ['warning_needs_response', 'warning_under_review', 'warning_closed', 'needs_response', 'under_review', 'won', 'lost'] },
  },
};

export interface OpenApiOptions {
  /** The built-in simulator is mounted (its routes are documented only then). */
  simulator: boolean;
}

/** The document: /v1 from the schemas its routes parse, then every other route the app serves. */
export function openApiDocument(opts: OpenApiOptions): Json {
  const paths: Record<string, Record<string, Json>> = {};
  const add = (method: string, path: string, op: Json) => {
    (paths[path] ??= {})[method.toLowerCase()] = op;
  };
  for (const r of V1_ROUTES) add(r.method, openApiPath(`/v1${r.path}`).path, v1Operation(r));
  for (const r of OTHER_ROUTES) if (!r.simulator || opts.simulator) add(r.method, openApiPath(r.path).path, otherOperation(r));
  return {
    openapi: '3.1.0',
    info: {
      title: 'OpenCashier',
      version: 'v1',
      summary: 'Self-hosted payment gateway for Alipay and Alipay+ wallets.',
      description: [
        'Two front doors onto the same payments: a Stripe-style REST API under `/v1` (JSON or Stripe\'s form encoding; API key as Bearer or Basic auth) and the Trust Payments webservices at `/json/` and `/xml/`.',
        '',
        'Every `/v1` error has one shape, `{"error": {"type", "code", "param", "message", "doc_url"}}`; [the error codes](/docs/errors) say what each means and what to do.',
        'Objects are Stripe\'s: a request that names a `Stripe-Version` gets Stripe\'s conventions (seconds, lower-case currencies), others the seeds\' (milliseconds, upper-case currencies).',
      ].join('\n'),
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    tags: [
      'Payment intents', 'Charges', 'Refunds', 'Disputes', 'Files', 'Balance', 'Checkout sessions', 'Products', 'Prices', 'Webhooks',
      'Trust Payments webservices', 'Antom notifications', 'Hosted checkout', ...(opts.simulator ? ['Simulator'] : []), 'Dashboard', 'Gateway',
    ].map((name) => ({ name })),
    security: [{ bearerAuth: [] }, { basicAuth: [] }],
    paths,
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', description: 'A secret key `sk_test_…` (or `sk_live_…`); a publishable key `pk_…` only where an operation says so.' },
        basicAuth: { type: 'http', scheme: 'basic', description: 'The API key as the user name, no password (how Stripe\'s curl examples send it).' },
      },
      parameters: {
        IdempotencyKey: {
          name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 255 },
          description: 'Retrying with the same key replays the first answer; the same key with other parameters is an idempotency_error.',
        },
        StripeVersion: {
          name: 'Stripe-Version', in: 'header', required: false, schema: { type: 'string' },
          description: 'Any value: the answer follows Stripe\'s conventions (what Stripe\'s SDKs send).',
        },
      },
      schemas: { Error: { title: 'Error', ...jsonSchemaOf(stripeErrorBody) }, ...OBJECT_SCHEMAS, Dispute: DISPUTE, File: FILE, BalanceTransaction: BALANCE_TRANSACTION, Balance: BALANCE, WebhookDelivery: WEBHOOK_DELIVERY,
        ...TP_SCHEMAS,
      },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// GET /docs: Swagger UI from node_modules, under a CSP that lets only our own files run.

/** Starts Swagger UI on the page; a file of its own so that no inline script is needed. */
const DOCS_JS = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#reference', deepLinking: true, tryItOutEnabled: false, defaultModelsExpandDepth: 0 });
});
`;

const DOCS_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>OpenCashier – API reference</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
<div id="reference"><p>Loading the API reference… It is also here as <a href="/openapi.json">openapi.json</a>; the error codes are on <a href="/docs/errors">their own page</a>.</p></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/docs.js"></script>
</body></html>
`;

/** Only files from this origin: no inline script or style element, no CDN. Swagger UI's styles come from its CSS file; React sets the rest through the DOM. */
export const DOCS_CSP = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "font-src 'self'",
  "connect-src 'self'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join('; ');

const swaggerDir = () => dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

/** The plugin: `/openapi.json`, `/docs` and the page's three files. */
export function apiReferenceRoutes(opts: OpenApiOptions) {
  return async (app: FastifyInstance) => {
    const document = JSON.stringify(openApiDocument(opts));
    const files = new Map<string, Promise<Buffer>>();
    // Read once on first use (the bundle is 1.7 MB), then answered from memory.
    const asset = (name: string, type: string) => async (_req: unknown, reply: FastifyReply) => {
      if (!files.has(name)) files.set(name, readFile(join(swaggerDir(), name)));
      return reply.type(type).header('Cache-Control', 'public, max-age=3600').send(await files.get(name)!);
    };
    // Any origin may read it: it holds nothing secret, and API tools load it from their own pages.
    app.get('/openapi.json', async (_req, reply) => reply.type('application/json; charset=utf-8').header('Access-Control-Allow-Origin', '*').send(document));
    app.get('/docs', async (_req, reply) => reply.type('text/html; charset=utf-8').header('Content-Security-Policy', DOCS_CSP).send(DOCS_HTML));
    app.get('/docs/assets/swagger-ui.css', asset('swagger-ui.css', 'text/css; charset=utf-8'));
    app.get('/docs/assets/swagger-ui-bundle.js', asset('swagger-ui-bundle.js', 'text/javascript; charset=utf-8'));
    app.get('/docs/assets/docs.js', async (_req, reply) => reply.type('text/javascript; charset=utf-8').send(DOCS_JS));
  };
}
