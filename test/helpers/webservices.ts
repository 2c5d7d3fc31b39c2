/** A Trust Payments client for tests: the seed's site and user, and posts to /json/ and /xml/. */
import { gunzipSync } from 'node:zlib';
import { bootstrapTrustPayments } from '../../src/store/tp-accounts.js';
import type { TestGateway } from './gateway.js';

export const TP_USER = 'webservices@example.com';
export const TP_PASSWORD = 'Password1^';
export const TP_SITE = 'test_site12345';

export const basicAuth = (user = TP_USER, password = TP_PASSWORD) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** Seed 004's site and webservices user on the gateway's test account. */
export async function seedTrustPayments(g: TestGateway): Promise<void> {
  await bootstrapTrustPayments(g.gateway.db, {
    accountId: g.gateway.account.accountId, merchantName: 'Test Merchant', siteReference: TP_SITE, username: TP_USER, password: TP_PASSWORD, now: Date.now(),
  });
  await g.gateway.db.query("UPDATE tp_sites SET merchant_name = 'Test Merchant' WHERE site_reference = $1", [TP_SITE]);
}

export interface TpResponse {
  status: number;
  headers: Headers;
  text: string;
  body: any;
}

/** POSTs a raw body; decodes gzip itself so tests see what the wire carried. */
export async function tpRaw(g: TestGateway, path: '/json/' | '/xml/', body: string, headers: Record<string, string> = {}): Promise<TpResponse> {
  const res = await fetch(g.url + path, {
    method: 'POST',
    headers: { Authorization: basicAuth(), 'Content-Type': path === '/xml/' ? 'text/xml;charset=utf-8' : 'application/json;charset=utf-8', ...headers },
    body,
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* XML or not JSON */
  }
  return { status: res.status, headers: res.headers, text, body: parsed };
}

/** One envelope of request items to /json/; returns the reply envelope. */
export async function tpJson(g: TestGateway, items: object[], headers: Record<string, string> = {}): Promise<TpResponse> {
  return tpRaw(g, '/json/', JSON.stringify({ alias: TP_USER, version: '1.00', request: items }), headers);
}

/** A single request item; returns its response item. */
export async function tp(g: TestGateway, item: object): Promise<Record<string, any>> {
  const res = await tpJson(g, [item]);
  if (res.status !== 200) throw new Error(`/json/ answered ${res.status}: ${res.text}`);
  return res.body.response[0];
}

export const gunzip = (buf: ArrayBuffer) => gunzipSync(Buffer.from(buf)).toString('utf8');
