// A running simulator for tests: in-memory PGlite, Fastify on 127.0.0.1:0, fresh key pairs, the
// gateway's real AntomClient pointed at it, and a node:http receiver for notifications.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { AntomClient } from '../../src/connectors/antom/client.js';
import {
  generateAntomKeyPair, parseSignatureHeader, privateKeyFromBase64, publicKeyFromBase64, signatureHeader, signMessage, verifyMessage,
  type AntomKeyPair,
} from '../../src/connectors/antom/signing.js';
import type { PayRequest } from '../../src/core/connector.js';
import { openPglite, openPostgres, type Db } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrate.js';
import { SIMULATOR_MIGRATIONS, simulatorPlugin, SimulatorWorker, type SimulatorOptions } from '../../src/simulator/index.js';

export interface TestClock {
  offset: number;
  now(): number;
}

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  json: Record<string, unknown>;
  at: number;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** Decides each answer; the default acknowledges like a merchant should. */
  respond: (r: Received, index: number) => { status: number; body: string };
  waitFor(pred: (r: Received) => boolean, timeoutMs?: number, count?: number): Promise<Received[]>;
  close(): Promise<void>;
}

export const ACK = JSON.stringify({ result: { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success' } });

export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  let server: Server;
  const r: Receiver = {
    url: '',
    received,
    respond: () => ({ status: 200, body: ACK }),
    async waitFor(pred, timeoutMs = 3000, count = 1) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const hits = received.filter(pred);
        if (hits.length >= count) return hits;
        if (Date.now() > until) throw new Error(`timed out waiting for ${count} notification(s); got ${hits.length}`);
        await new Promise((res) => setTimeout(res, 10));
      }
    },
    close: () => new Promise<void>((res) => {
      server.closeAllConnections();
      server.close(() => res());
    }),
  };
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(body) as Record<string, unknown>;
      } catch { /* recorded as-is */ }
      const item = { path: req.url ?? '', headers: req.headers, body, json, at: Date.now() };
      received.push(item);
      const answer = r.respond(item, received.length - 1);
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
    });
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return r;
}

export interface Harness {
  app: FastifyInstance;
  baseUrl: string;
  db: Db;
  clock: TestClock;
  opts: SimulatorOptions;
  clientId: string;
  merchant: AntomKeyPair;
  antom: AntomKeyPair;
  client: AntomClient;
  worker: SimulatorWorker;
  receiver: Receiver;
  /** An AntomClient with its own timeout (for the timeout fault). */
  clientWith(timeoutMs: number, clientId?: string): AntomClient;
  close(): Promise<void>;
}

export const SANDBOX_CLIENT_ID = 'SANDBOX_5YTEST0001';

export async function startSimulator(o: { notifyScheduleMs?: number[]; worker?: boolean; paymentExpiryMs?: number; db?: Db } = {}): Promise<Harness> {
  const db = o.db ?? (await openPglite(undefined));
  await migrate(db, SIMULATOR_MIGRATIONS);
  const merchant = generateAntomKeyPair();
  const antom = generateAntomKeyPair();
  const clock: TestClock = { offset: 0, now() { return Date.now() + this.offset; } };
  const clientId = 'TEST_MERCHANT_0001';
  const log = pino({ level: 'silent' });
  const opts: SimulatorOptions = {
    db,
    publicUrl: 'http://placeholder.invalid',
    merchants: [
      { clientId, merchantPublicKeyBase64: merchant.publicKeyBase64, name: 'Lantern Tea House' },
      { clientId: SANDBOX_CLIENT_ID, merchantPublicKeyBase64: merchant.publicKeyBase64, name: 'Lantern Tea House' },
    ],
    antomPrivateKeyBase64: antom.privateKeyBase64,
    notifyScheduleMs: o.notifyScheduleMs ?? [0, 50, 100],
    workerIntervalMs: 50,
    paymentExpiryMs: o.paymentExpiryMs ?? 14 * 60_000,
    clock,
    log,
  };
  const app = Fastify({ logger: false });
  // A neighbour at the root, as the gateway's own plugins are: the simulator's parsers must not reach it.
  app.post('/outside/echo', async (req) => ({ body: req.body }));
  await app.register(simulatorPlugin(opts));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  // The URLs handed to shoppers follow the port actually bound.
  opts.publicUrl = baseUrl;
  const worker = new SimulatorWorker(opts);
  if (o.worker !== false) worker.start();
  const receiver = await startReceiver();
  const clientWith = (timeoutMs: number, id = clientId) => new AntomClient(
    { clientId: id, privateKeyBase64: merchant.privateKeyBase64, antomPublicKeyBase64: antom.publicKeyBase64, baseUrl },
    { timeoutMs, settlementCurrency: 'USD', retries: 0 },
  );
  return {
    app, baseUrl, db, clock, opts, clientId, merchant, antom, worker, receiver, clientWith,
    client: clientWith(5000),
    async close() {
      await worker.stop();
      await app.close();
      await receiver.close();
      await db.close();
    },
  };
}

let seq = 0;
/** A unique id per call, for paymentRequestId / refundRequestId. */
export function uid(prefix = 'PR'): string {
  seq += 1;
  return `${prefix}_${Date.now().toString(36)}_${seq}`;
}

export function payRequest(h: Harness, over: Partial<PayRequest> = {}): PayRequest {
  return {
    paymentRequestId: uid(),
    referenceOrderId: uid('pi'),
    description: 'Test order',
    amount: 30000,
    currency: 'PHP',
    upstreamMethod: 'CONNECT_WALLET',
    terminalType: 'WEB',
    redirectUrl: 'https://shop.example/return?order=1',
    notifyUrl: `${h.receiver.url}/antom/notify?account=acct_1`,
    ...over,
  };
}

/** The pay body exactly as AntomClient builds it, for raw calls. */
export function payBody(h: Harness, over: Record<string, unknown> = {}): Record<string, unknown> {
  const req = payRequest(h);
  return {
    productCode: 'CASHIER_PAYMENT',
    paymentRequestId: req.paymentRequestId,
    order: { referenceOrderId: req.referenceOrderId, orderDescription: req.description, orderAmount: { currency: 'PHP', value: '30000' } },
    paymentAmount: { currency: 'PHP', value: '30000' },
    paymentMethod: { paymentMethodType: 'CONNECT_WALLET' },
    env: { terminalType: 'WEB' },
    settlementStrategy: { settlementCurrency: 'USD' },
    paymentRedirectUrl: req.redirectUrl,
    paymentNotifyUrl: req.notifyUrl,
    ...over,
  };
}

export interface RawAnswer {
  status: number;
  headers: Headers;
  text: string;
  json: Record<string, unknown> & { result?: { resultCode?: string; resultStatus?: string; resultMessage?: string } };
  /** Whether the response signature verifies with the simulator's public key over the requested path. */
  signed: boolean;
}

export interface RawOptions {
  clientId?: string;
  /** Sign with this key instead of the merchant's. */
  privateKeyBase64?: string;
  /** Path as sent (may include a query); defaults to /ams/api/v1/payments/<api>. */
  path?: string;
  /** Path that is signed, when different from the one sent. */
  signedPath?: string;
  time?: string;
  signature?: string | null;
  headers?: Record<string, string>;
}

/** One hand-made Antom call: for the negative cases the real client would never send. */
export async function rawCall(h: Harness, api: string, body: unknown, o: RawOptions = {}): Promise<RawAnswer> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const path = o.path ?? `/ams/api/v1/payments/${api}`;
  const clientId = o.clientId ?? h.clientId;
  const time = o.time ?? String(Date.now());
  const key = privateKeyFromBase64(o.privateKeyBase64 ?? h.merchant.privateKeyBase64);
  const sig = o.signature === undefined ? signatureHeader(signMessage({ method: 'POST', path: o.signedPath ?? path, clientId, time, body: text }, key)) : o.signature;
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=UTF-8', 'client-id': clientId, 'request-time': time, ...o.headers };
  if (sig !== null) headers.signature = sig;
  const res = await fetch(h.baseUrl + path, { method: 'POST', headers, body: text });
  const resText = await res.text();
  let json: RawAnswer['json'] = {};
  try {
    json = JSON.parse(resText) as RawAnswer['json'];
  } catch { /* not JSON */ }
  const parsed = parseSignatureHeader(res.headers.get('signature') ?? undefined);
  const signed = !!parsed && verifyMessage(
    { method: 'POST', path, clientId: res.headers.get('client-id') ?? '', time: res.headers.get('response-time') ?? '', body: resText },
    parsed.signature, publicKeyFromBase64(h.antom.publicKeyBase64),
  );
  return { status: res.status, headers: res.headers, text: resText, json, signed };
}

export async function postJson(h: Harness, path: string, body: unknown, method = 'POST'): Promise<{ status: number; json: Record<string, any> }> {
  const res = await fetch(h.baseUrl + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, any> };
}

export async function getJson(h: Harness, path: string): Promise<{ status: number; json: Record<string, any> }> {
  const res = await fetch(h.baseUrl + path);
  return { status: res.status, json: (await res.json()) as Record<string, any> };
}

/** Creates a payment through the real client and returns its URLs and paymentId. */
export async function createPayment(h: Harness, over: Partial<PayRequest> = {}): Promise<{ req: PayRequest; paymentId: string; normalUrl: string; applinkUrl: string; schemeUrl: string }> {
  const req = payRequest(h, over);
  const out = await h.client.pay(req);
  if (out.status !== 'action_required') throw new Error(`pay did not ask for action: ${JSON.stringify(out)}`);
  return {
    req,
    paymentId: out.paymentId!,
    normalUrl: out.redirect.normalUrl!,
    applinkUrl: out.redirect.applinkUrl!,
    schemeUrl: out.redirect.schemeUrl!,
  };
}

export async function complete(h: Harness, url: string, outcome: 'succeeded' | 'failed' | 'processing', extra: Record<string, unknown> = {}) {
  return postJson(h, '/simulator/v1/complete', { url, outcome, ...extra });
}

/** A paid payment: created through the client, completed with GCash. */
export async function paidPayment(h: Harness, over: Partial<PayRequest> = {}) {
  const p = await createPayment(h, over);
  const done = await complete(h, p.normalUrl, 'succeeded', over.upstreamMethod && over.upstreamMethod !== 'CONNECT_WALLET' ? {} : { wallet: 'GCASH' });
  if (done.status !== 200) throw new Error(`complete failed: ${JSON.stringify(done.json)}`);
  return p;
}

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A PostgreSQL database in a fresh schema (dropped by `drop`), or the reason it cannot be had. */
export async function postgresSchema(): Promise<{ db: Db; drop(): Promise<void> } | { skip: string }> {
  const schema = `sim_test_${process.pid}_${Date.now().toString(36)}`;
  let admin: Db;
  try {
    admin = await openPostgres({ connectionString: TEST_DATABASE_URL, max: 1 });
    await admin.query(`CREATE SCHEMA ${schema}`);
  } catch (err) {
    return { skip: `PostgreSQL not reachable at ${TEST_DATABASE_URL} (${(err as Error).message}); set TEST_DATABASE_URL or start it` };
  }
  const db = await openPostgres({ connectionString: TEST_DATABASE_URL, schema, max: 12 });
  return {
    db,
    async drop() {
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.close();
    },
  };
}

/** Whether a received notification verifies with the simulator's public key over its path, Client-Id and Request-Time. */
export function verifyNotification(h: Harness, r: Received): boolean {
  const sig = parseSignatureHeader(r.headers.signature as string | undefined);
  return !!sig && verifyMessage(
    { method: 'POST', path: r.path, clientId: r.headers['client-id'] as string, time: r.headers['request-time'] as string, body: r.body },
    sig.signature, publicKeyFromBase64(h.antom.publicKeyBase64),
  );
}

export const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));
