/** Payments made through the built-in simulator, for tests that need a paid PaymentIntent first. */
import assert from 'node:assert/strict';
import { eventually, type TestGateway } from './gateway.js';
import { SEED_000_WEB } from './seeds.js';

/** Seed 000's PaymentIntent (for `amount` and `currency`), paid in the simulator; returned once it reads succeeded. */
export async function paidIntent(g: TestGateway, amount = 20, currency = 'CNY') {
  const pi = (await g.api('POST', '/v1/payment_intents', { ...SEED_000_WEB, amount, currency })).body;
  assert.equal((await g.complete(pi.next_action.redirect_to_url.url, 'succeeded')).status, 200);
  return eventually(async () => {
    const p = (await g.api('GET', `/v1/payment_intents/${pi.id}`)).body;
    return p.status === 'succeeded' ? p : undefined;
  });
}

/** Arms one of the simulator's faults (`POST /simulator/v1/faults`). */
export const simulatorFault = (g: TestGateway, body: object) =>
  fetch(`${g.url}/simulator/v1/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

/** A POST to the simulator's script API (`/simulator/v1/<path>`), JSON in and out. */
export async function simulator(g: TestGateway, path: string, body: object) {
  const res = await fetch(`${g.url}/simulator/v1/${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as any };
}
