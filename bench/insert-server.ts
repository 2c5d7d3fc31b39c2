/**
 * The one-INSERT floor of `npm run bench`: Fastify with one JSON route that writes one
 * PaymentIntent-sized row per request and answers it, nothing else. On PGlite (a data folder,
 * opened as the gateway opens it) or on PostgreSQL through a `pg` pool (its own schema,
 * synchronous_commit on), so each store's create and retrieve compare with what that store can do.
 *
 * FLOOR_DATA_DIR=… for PGlite; FLOOR_DATABASE_URL=… and FLOOR_SCHEMA=… for PostgreSQL.
 */
import Fastify from 'fastify';
import { randomBytes } from 'node:crypto';
import { openPglite, openPostgres, type Db } from '../src/store/db.js';

const url = process.env.FLOOR_DATABASE_URL;
const db: Db = url
  ? await openPostgres({ connectionString: url, schema: process.env.FLOOR_SCHEMA })
  : await openPglite(process.env.FLOOR_DATA_DIR!, 'the bench floor');
if (url) await db.query('SET synchronous_commit = on');
// The payment_intents columns a create fills, with its primary key and list index.
await db.query(`CREATE TABLE IF NOT EXISTS floor_rows (
  seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  id text PRIMARY KEY, account_id text NOT NULL, livemode boolean NOT NULL, created bigint NOT NULL, updated bigint NOT NULL,
  amount bigint NOT NULL, currency text NOT NULL, status text NOT NULL, client_secret text NOT NULL,
  payment_method_types jsonb NOT NULL, payment_method_options jsonb NOT NULL DEFAULT '{}', confirmation_method text NOT NULL,
  capture_method text NOT NULL, description text, metadata jsonb NOT NULL DEFAULT '{}', amount_received bigint NOT NULL DEFAULT 0)`);
await db.query('CREATE INDEX IF NOT EXISTS floor_rows_list ON floor_rows (account_id, livemode, seq)');

const app = Fastify();
app.post('/insert', async (req) => {
  const body = req.body as { amount: number; currency: string; payment_method_types: string[]; metadata?: object };
  const id = `pi_${randomBytes(12).toString('base64url')}`;
  const now = Date.now();
  const [row] = await db.query(
    `INSERT INTO floor_rows (id, account_id, livemode, created, updated, amount, currency, status, client_secret, payment_method_types,
       confirmation_method, capture_method, metadata)
     VALUES ($1, 'acct_floor', false, $2, $2, $3, $4, 'requires_payment_method', $5, $6::jsonb, 'automatic', 'automatic', $7::jsonb)
     RETURNING *`,
    [id, now, body.amount, body.currency, `${id}_secret_${randomBytes(12).toString('base64url')}`, JSON.stringify(body.payment_method_types), JSON.stringify(body.metadata ?? {})]);
  return { object: 'payment_intent', ...row };
});
await app.listen({ port: 0, host: '127.0.0.1' });
const addr = app.server.address();
process.stdout.write(`FLOOR http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}\n`);
const stop = async () => {
  await app.close();
  await db.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
