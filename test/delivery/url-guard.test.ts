import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkWebhookUrl, isPrivateAddress } from '../../src/delivery/url-guard.js';

test('private, loopback, link-local and reserved addresses are recognised, v4 and v6', () => {
  for (const ip of ['127.0.0.1', '10.0.0.1', '172.16.5.4', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '::1', '::', 'fc00::1', 'fd12:3456::1', 'fe80::1', '::ffff:127.0.0.1', '::ffff:10.1.1.1']) {
    assert.equal(isPrivateAddress(ip), true, ip);
  }
  for (const ip of ['93.184.216.34', '8.8.8.8', '172.32.0.1', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) {
    assert.equal(isPrivateAddress(ip), false, ip);
  }
});

const resolvesTo = (...addresses: string[]) => async () => addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

test('live mode: https only, and every resolved address must be public', async () => {
  assert.equal(await checkWebhookUrl('https://shop.example/hook', true, resolvesTo('93.184.216.34')), undefined);
  assert.match((await checkWebhookUrl('https://shop.example/hook', true, resolvesTo('93.184.216.34', '10.0.0.7')))!, /10\.0\.0\.7.*private/);
  assert.match((await checkWebhookUrl('http://shop.example/hook', true, resolvesTo('93.184.216.34')))!, /https/);
  assert.match((await checkWebhookUrl('https://nowhere.invalid/', true, async () => { throw new Error('ENOTFOUND'); }))!, /does not resolve/);
  assert.match((await checkWebhookUrl('https://user:pw@shop.example/', true, resolvesTo('93.184.216.34')))!, /credentials/);
});

test('test mode allows localhost and plain http, but not other schemes or garbage', async () => {
  assert.equal(await checkWebhookUrl('http://localhost:3000/webhooks', false), undefined);
  assert.match((await checkWebhookUrl('file:///etc/passwd', false))!, /http and https/);
  assert.match((await checkWebhookUrl('not a url', false))!, /not an absolute URL/);
});
