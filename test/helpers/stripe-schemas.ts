/**
 * Stripe's own OpenAPI schemas of the objects the API returns (test/fixtures/stripe-schemas.json,
 * API 2023-08-16), in the dialect Stripe's SDKs get: `check(name, value)` asserts that `value`,
 * fetched with the `STRIPE` headers, is what the official SDKs' types promise.
 */
import assert from 'node:assert/strict';
import AjvModule from 'ajv';
import { readFixture } from './fixtures.js';

const Ajv = AjvModule as unknown as typeof AjvModule.default;
const doc = JSON.parse(readFixture('stripe-schemas.json'));
const pmType = doc.components.schemas.payment_method.properties.type;
pmType.enum = [...pmType.enum, 'alipayplus'];
export const STRIPE = { 'Stripe-Version': '2023-08-16' };
const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
ajv.addSchema(doc, 'stripe');

export function check(name: string, value: unknown) {
  const validate = ajv.getSchema(`stripe#/components/schemas/${name}`);
  assert.ok(validate, `schema ${name}`);
  const ok = validate(value);
  assert.ok(ok, `${name}: ${ajv.errorsText(validate.errors, { separator: '\n' })}`);
  conventions(name, value);
}

/** What the schemas cannot say: Stripe's timestamps are seconds, its currencies lower case. */
function conventions(path: string, value: unknown) {
  if (Array.isArray(value)) return value.forEach((v, i) => conventions(`${path}[${i}]`, v));
  if (value === null || typeof value !== 'object') return;
  for (const [k, v] of Object.entries(value)) {
    if (k === 'metadata') continue;
    if (['created', 'expires_at', 'canceled_at', 'due_by'].includes(k) && typeof v === 'number') assert.ok(v < 1e11, `${path}.${k} = ${v} is not in seconds`);
    if (k === 'currency' && typeof v === 'string') assert.equal(v, v.toLowerCase(), `${path}.currency`);
    conventions(`${path}.${k}`, v);
  }
}

