/**
 * The wire exactly as the official Trust Payments Python client speaks it (securetrading 1.0.25,
 * test/fixtures/trustpayments-wire.json): its headers, its envelope, REQUESTREFERENCE in a header,
 * gzip accepted. The client checks the reply's requestreference against the header it sent, reads
 * `version` and `response`, and needs a string `errorcode` in every item.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { readFixture } from '../helpers/fixtures.js';
import { basicAuth, seedTrustPayments } from '../helpers/webservices.js';

interface Captured {
  path: string;
  headers: Record<string, string>;
  body: Record<string, any>;
}
const WIRE = JSON.parse(readFixture('trustpayments-wire.json')) as { captured: Captured[] };

/** Sends one captured request as the client did (raw HTTP, its header names and order), with `body` in place of the captured one. */
function replay(g: TestGateway, captured: Captured, body: object): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; raw: Buffer }> {
  const text = JSON.stringify(body);
  // Node keeps the names' case as given, so the gateway sees REQUESTREFERENCE and VERSIONINFO as the client sent them.
  const headers: Record<string, string> = Object.fromEntries(Object.entries(captured.headers).map(([k, v]) => {
    if (k === 'Authorization') return [k, basicAuth()];
    if (k === 'Content-Length') return [k, String(Buffer.byteLength(text))];
    return [k, v];
  }));
  const url = new URL(g.url + captured.path);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, raw: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(text);
  });
}

/** What the client does with a reply: gunzip, parse, and its checks (specs/trustpayments.md §1). */
function asTheClientReadsIt(sentReference: string, r: { status: number; headers: Record<string, unknown>; raw: Buffer }) {
  assert.equal(r.status, 200);
  assert.match(String(r.headers['content-type']), /^application\/json/);
  const text = r.headers['content-encoding'] === 'gzip' ? gunzipSync(r.raw).toString('utf8') : r.raw.toString('utf8');
  const body = JSON.parse(text);
  assert.equal(body.requestreference, sentReference, 'the client raises error 9 unless requestreference is the one it sent');
  assert.equal(body.version, '1.00');
  assert.ok(Array.isArray(body.response), 'the list is under "response"');
  assert.equal(body.responses, undefined);
  for (const item of body.response) assert.equal(typeof item.errorcode, 'string', 'every item carries errorcode as a string');
  return body;
}

describe('the official Python client\'s wire', () => {
  let g: TestGateway;
  before(async () => {
    g = await startGateway({ store: 'pglite' });
    await seedTrustPayments(g);
  });
  after(async () => g?.stop());

  test('its single AUTH, then its two-request envelope (TRANSACTIONQUERY, REFUND), get replies it accepts', async () => {
    const [auth, pair] = WIRE.captured as [Captured, Captured];
    const first = await replay(g, auth, auth.body);
    assert.equal(first.headers['content-encoding'], 'gzip', 'the client sends Accept-Encoding: gzip, and the gateway gzips');
    const authReply = asTheClientReadsIt(auth.headers.REQUESTREFERENCE!, first);
    const item = authReply.response[0];
    assert.equal(item.errorcode, '0');
    assert.equal(item.settlestatus, '10');
    assert.match(item.redirecturl, /^http:/);

    // The merchant's code queries and refunds what it got back: the captured body with that reference.
    const ref = item.transactionreference as string;
    const body = JSON.parse(JSON.stringify(pair.body).replaceAll('23-86-113', ref));
    const second = asTheClientReadsIt(pair.headers.REQUESTREFERENCE!, await replay(g, pair, body));
    assert.notEqual(second.requestreference, pair.body.request[0].requestreference, 'the header wins over the first item\'s reference');
    assert.deepEqual(second.response.map((r: any) => [r.requesttypedescription, r.errorcode]), [['TRANSACTIONQUERY', '0'], ['REFUND', '20005']]);
    assert.equal(second.response[0].records[0].transactionreference, ref);

    // As captured (a reference this gateway never issued): the query finds nothing, the refund has no parent.
    const third = asTheClientReadsIt(pair.headers.REQUESTREFERENCE!, await replay(g, pair, pair.body));
    assert.deepEqual(third.response.map((r: any) => [r.errorcode, r.records?.length]), [['0', 0], ['20004', undefined]]);
  });

  test('a resend of the same request item (the client retries after a connection error) does not pay twice', async () => {
    const [auth] = WIRE.captured as [Captured];
    const once = asTheClientReadsIt(auth.headers.REQUESTREFERENCE!, await replay(g, auth, auth.body)).response[0];
    const twice = asTheClientReadsIt(auth.headers.REQUESTREFERENCE!, await replay(g, auth, auth.body)).response[0];
    assert.equal(twice.transactionreference, once.transactionreference);
    const changed = { ...auth.body, request: [{ ...auth.body.request[0], baseamount: '2000' }] };
    const other = asTheClientReadsIt(auth.headers.REQUESTREFERENCE!, await replay(g, auth, changed)).response[0];
    assert.notEqual(other.transactionreference, once.transactionreference, 'the same requestreference with other content is another payment');
  });
});
