/**
 * The simulator's routes answer anyone — its script API completes payments — so a gateway with
 * live mode configured mounts them only when the operator sets SIMULATOR=on explicitly.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../src/config.js';
import { generateAntomKeyPair } from '../../src/connectors/antom/signing.js';
import { startGateway, stores, type TestGateway } from '../helpers/gateway.js';
import { SEED_000_WEB } from '../helpers/seeds.js';

const keys = generateAntomKeyPair();
const LIVE = {
  ANTOM_LIVE_CLIENT_ID: 'LIVE_CLIENT',
  ANTOM_LIVE_PRIVATE_KEY: keys.privateKeyBase64,
  ANTOM_LIVE_PUBLIC_KEY: keys.publicKeyBase64,
  // Nothing listens there: these tests never reach live Antom.
  ANTOM_LIVE_BASE_URL: 'http://127.0.0.1:9',
  // The test gateway answers on http://localhost: as if a proxy in front served the public address.
  BEHIND_PROXY: 'on',
};
const TEST = { ANTOM_TEST_CLIENT_ID: 'SANDBOX_CLIENT', ANTOM_TEST_PRIVATE_KEY: keys.privateKeyBase64, ANTOM_TEST_PUBLIC_KEY: keys.publicKeyBase64 };

test('SIMULATOR: defaults to on without live mode, to off with it; an explicit value wins either way', () => {
  assert.equal(loadConfig({}).simulator, true);
  assert.equal(loadConfig(LIVE).simulator, false, 'live mode configured, SIMULATOR not given');
  assert.equal(loadConfig({ ...LIVE, SIMULATOR: '' }).simulator, false, 'an empty value is not an explicit one');
  for (const on of ['on', '1', 'true', 'yes']) assert.equal(loadConfig({ ...LIVE, SIMULATOR: on }).simulator, true, on);
  assert.equal(loadConfig({ ...TEST, SIMULATOR: 'off' }).simulator, false);
  assert.equal(loadConfig({ ...LIVE, ...TEST }).simulator, false);
  assert.throws(() => loadConfig({ SIMULATOR: 'off' }), ConfigError, 'no upstream at all is still refused');
});

/** True when the simulator's script API answers, false when the route does not exist. */
async function mounted(g: TestGateway): Promise<boolean> {
  const res = await fetch(`${g.url}/simulator/v1/faults`);
  if (res.status === 200) return true;
  assert.equal(res.status, 404);
  return false;
}

for (const { kind, skip } of await stores()) {
  describe(`the simulator beside live mode [${kind}]`, { skip }, () => {
    let defaulted: TestGateway;
    let explicit: TestGateway;
    before(async () => {
      defaulted = await startGateway({ store: kind, env: LIVE });
      explicit = await startGateway({ store: kind, env: { ...LIVE, SIMULATOR: 'on' } });
    });
    after(async () => {
      await defaulted?.stop();
      await explicit?.stop();
    });

    test('live mode configured and SIMULATOR not given: no simulator route exists, and test mode says it has no upstream', async () => {
      assert.equal(await mounted(defaulted), false);
      for (const [method, path] of [['GET', '/simulator/v1/payments/2024010119401080000001'], ['POST', '/simulator/v1/complete'], ['GET', '/simulator/cashier?codeValue=x'], ['POST', '/ams/api/v1/payments/pay'], ['POST', '/ams/sandbox/api/v1/payments/pay']]) {
        const res = await fetch(`${defaulted.url}${path}`, { method, headers: { 'Content-Type': 'application/json' }, body: method === 'POST' ? '{}' : undefined });
        assert.equal(res.status, 404, `${method} ${path}`);
        assert.match(((await res.json()) as { error: { message: string } }).error.message, /Unrecognized request URL/);
      }
      assert.equal(defaulted.gateway.simulatorKeys, undefined, 'no simulator keys were made');
      const pi = await defaulted.api('POST', '/v1/payment_intents', SEED_000_WEB);
      assert.equal(pi.status, 502, JSON.stringify(pi.body));
      assert.match(pi.body.error.message, /No Antom connection is configured for test mode/);
    });

    test('live mode configured and SIMULATOR=on: the operator asked for it, so it is mounted and serves test mode', async () => {
      assert.equal(await mounted(explicit), true);
      const pi = await explicit.api('POST', '/v1/payment_intents', SEED_000_WEB);
      assert.equal(pi.status, 200, JSON.stringify(pi.body));
      assert.equal(pi.body.status, 'requires_action');
    });
  });
}
