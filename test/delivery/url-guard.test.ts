import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { checkWebhookUrl, classifyAddress, guardedLookup, isLoopbackHost, isPrivateAddress, type AddressKind, type WebhookUrlPolicy } from '../../src/delivery/url-guard.js';
import { ConfigError, loadConfig } from '../../src/config.js';

// Every address by where it really leads, IPv6 forms that embed IPv4 judged by the IPv4 address.
const ADDRESSES: [string, AddressKind][] = [
  // IPv4 special-purpose registry, with the neighbours just outside each range
  ['0.0.0.0', 'reserved'], ['0.1.2.3', 'reserved'], ['1.1.1.1', 'public'], ['8.8.8.8', 'public'], ['93.184.216.34', 'public'],
  ['9.255.255.255', 'public'], ['10.0.0.1', 'private'], ['10.255.255.255', 'private'], ['11.0.0.0', 'public'],
  ['100.63.255.255', 'public'], ['100.64.0.1', 'private'], ['100.127.255.255', 'private'], ['100.128.0.0', 'public'],
  ['127.0.0.1', 'loopback'], ['127.255.255.254', 'loopback'], ['169.254.169.254', 'link_local'], ['169.254.0.1', 'link_local'],
  ['172.15.255.255', 'public'], ['172.16.5.4', 'private'], ['172.31.255.255', 'private'], ['172.32.0.1', 'public'],
  ['192.0.0.8', 'reserved'], ['192.0.2.1', 'reserved'], ['192.88.99.1', 'reserved'], ['192.168.1.1', 'private'],
  ['198.18.0.1', 'reserved'], ['198.19.255.255', 'reserved'], ['198.20.0.0', 'public'], ['198.51.100.7', 'reserved'],
  ['203.0.113.9', 'reserved'], ['224.0.0.1', 'reserved'], ['239.255.255.250', 'reserved'], ['240.0.0.1', 'reserved'],
  ['255.255.255.255', 'reserved'],
  // IPv6 plain ranges
  ['::', 'reserved'], ['::1', 'loopback'], ['[::1]', 'loopback'], ['fc00::1', 'private'], ['fd12:3456::1', 'private'],
  ['fe80::1', 'link_local'], ['fe80::1%eth0', 'link_local'], ['febf::1', 'link_local'], ['fec0::1', 'private'],
  ['ff02::1', 'reserved'], ['2001:db8::1', 'reserved'], ['100::1', 'reserved'], ['3fff::1', 'reserved'], ['5f00::1', 'reserved'],
  ['2606:4700:4700::1111', 'public'], ['2a00:1450:4001:81b::200e', 'public'],
  // 2001::/23: only the globally reachable assignments are public
  ['2001:2::1', 'reserved'], ['2001:10::1', 'reserved'], ['2001:1::1', 'public'], ['2001:1::4', 'reserved'],
  ['2001:3::1', 'public'], ['2001:4:112::1', 'public'], ['2001:20::1', 'public'], ['2001:30::1', 'public'],
  // IPv4-mapped ::ffff:0:0/96, in both spellings
  ['::ffff:127.0.0.1', 'loopback'], ['::ffff:7f00:1', 'loopback'], ['::ffff:169.254.169.254', 'link_local'],
  ['::ffff:a9fe:a9fe', 'link_local'], ['::ffff:10.1.1.1', 'private'], ['::ffff:8.8.8.8', 'public'],
  // IPv4-compatible ::/96 (deprecated: never public)
  ['::127.0.0.1', 'loopback'], ['::7f00:1', 'loopback'], ['::a9fe:a9fe', 'link_local'], ['::8.8.8.8', 'reserved'],
  // NAT64: the well-known prefix reaches the IPv4 address; the local-use one is never public
  ['64:ff9b::a9fe:a9fe', 'link_local'], ['64:ff9b::127.0.0.1', 'loopback'], ['64:ff9b::808:808', 'public'],
  ['64:ff9b:1::a00:1', 'private'], ['64:ff9b:1::808:808', 'reserved'],
  // 6to4 2002::/16 (IPv4 in bits 16-48) and Teredo 2001::/32 (client IPv4 inverted in the last 32 bits)
  ['2002:7f00:1::1', 'loopback'], ['2002:a9fe:a9fe::', 'link_local'], ['2002:808:808::1', 'reserved'],
  ['2001:0:4136:e378:8000:63bf:80ff:fffe', 'loopback'], ['2001:0:4136:e378:8000:63bf:5601:5601', 'link_local'],
  ['2001:0:4136:e378:8000:63bf:f7f7:f7f7', 'reserved'],
];

test('every address is classified by where it really leads, v4 and v6, embedded IPv4 included', () => {
  for (const [ip, kind] of ADDRESSES) {
    assert.equal(classifyAddress(ip)?.kind, kind, ip);
    assert.equal(isPrivateAddress(ip), kind !== 'public', ip);
  }
  assert.equal(classifyAddress('::ffff:7f00:1')?.via, '127.0.0.1');
  assert.equal(classifyAddress('shop.example'), undefined, 'a name is not an address');
});

const LIVE: WebhookUrlPolicy = { livemode: true, allowPrivate: true };
const TEST_OPEN: WebhookUrlPolicy = { livemode: false, allowPrivate: true };
const TEST_CLOSED: WebhookUrlPolicy = { livemode: false, allowPrivate: false };

const resolvesTo = (...addresses: string[]) => async (): Promise<LookupAddress[]> => addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
/** IP literals are judged as written: a lookup would only hide what they are. */
const noLookup = async (host: string): Promise<LookupAddress[]> => assert.fail(`looked up the literal ${host}`);

// Each host as a URL spells it; WHATWG parsing turns 2130706433, 0x7f.1, 127.1 and 0177.0.0.1 into 127.0.0.1.
const LOOPBACK_SPELLINGS = [
  '127.0.0.1', '2130706433', '0x7f.1', '127.1', '0177.0.0.1', '0x7f000001', '[::1]', '[::ffff:127.0.0.1]', '[::ffff:7f00:1]',
  '[::127.0.0.1]', '[64:ff9b::7f00:1]', '[2002:7f00:1::1]', '[2001:0:4136:e378:8000:63bf:80ff:fffe]',
];
const PRIVATE_SPELLINGS = ['10.0.0.5', '167772165', '192.168.1.1', '172.16.0.1', '100.64.1.1', '[fd00::5]', '[fec0::1]', '[::ffff:10.0.0.5]', '[64:ff9b:1::a00:5]'];
const NEVER_SPELLINGS = [
  '169.254.169.254', '2852039166', '0xa9.254.169.254', '[::ffff:169.254.169.254]', '[::ffff:a9fe:a9fe]', '[::169.254.169.254]',
  '[64:ff9b::a9fe:a9fe]', '[2002:a9fe:a9fe::1]', '[fe80::1]', '0.0.0.0', '0', '[::]', '192.0.2.10', '198.51.100.1', '203.0.113.1',
  '198.18.0.1', '224.0.0.1', '255.255.255.255', '240.0.0.1', '192.0.0.1', '192.88.99.1', '[ff02::1]', '[2001:db8::1]', '[100::1]',
  '[2001:2::1]',
];

test('live mode refuses every loopback, private and special-purpose address, however it is written', async () => {
  for (const host of [...LOOPBACK_SPELLINGS, ...PRIVATE_SPELLINGS, ...NEVER_SPELLINGS]) {
    const why = await checkWebhookUrl(`https://${host}/hook`, LIVE, noLookup);
    assert.ok(why, `https://${host}/hook was accepted in live mode`);
  }
  assert.match((await checkWebhookUrl('https://[::ffff:127.0.0.1]/', LIVE, noLookup))!, /127\.0\.0\.1, a loopback address; live mode/);
  assert.equal(await checkWebhookUrl('https://8.8.8.8/hook', LIVE, noLookup), undefined);
  assert.equal(await checkWebhookUrl('https://[64:ff9b::808:808]/hook', LIVE, noLookup), undefined, 'NAT64 to a public address is public');
  assert.equal(await checkWebhookUrl('https://[2606:4700:4700::1111]/hook', LIVE, noLookup), undefined);
});

test('live mode: https only, and every resolved address must be public, mapped forms included', async () => {
  assert.equal(await checkWebhookUrl('https://shop.example/hook', LIVE, resolvesTo('93.184.216.34')), undefined);
  assert.match((await checkWebhookUrl('https://shop.example/hook', LIVE, resolvesTo('93.184.216.34', '10.0.0.7')))!, /10\.0\.0\.7.*private/);
  assert.match((await checkWebhookUrl('https://shop.example/hook', LIVE, resolvesTo('93.184.216.34', '::ffff:7f00:1')))!, /127\.0\.0\.1, a loopback/);
  assert.match((await checkWebhookUrl('https://shop.example/hook', LIVE, resolvesTo('64:ff9b::a9fe:a9fe')))!, /169\.254\.169\.254, a link-local/);
  assert.match((await checkWebhookUrl('http://shop.example/hook', LIVE, resolvesTo('93.184.216.34')))!, /https/);
  assert.match((await checkWebhookUrl('https://nowhere.invalid/', LIVE, async () => { throw new Error('ENOTFOUND'); }))!, /does not resolve/);
  assert.match((await checkWebhookUrl('https://user:pw@shop.example/', LIVE, resolvesTo('93.184.216.34')))!, /credentials/);
});

test('test mode allows loopback and private addresses only when the operator allows them; link-local and special-purpose never', async () => {
  for (const host of [...LOOPBACK_SPELLINGS, ...PRIVATE_SPELLINGS]) {
    assert.equal(await checkWebhookUrl(`http://${host}:3000/hook`, TEST_OPEN, noLookup), undefined, `${host} with private URLs allowed`);
    assert.match((await checkWebhookUrl(`http://${host}:3000/hook`, TEST_CLOSED, noLookup)) ?? 'accepted', /WEBHOOK_ALLOW_PRIVATE_URLS/, `${host} with private URLs not allowed`);
  }
  for (const host of NEVER_SPELLINGS) {
    for (const policy of [TEST_OPEN, TEST_CLOSED]) {
      assert.match((await checkWebhookUrl(`http://${host}/latest/meta-data/`, policy, noLookup)) ?? 'accepted', /never go there/, host);
    }
  }
  assert.equal(await checkWebhookUrl('http://localhost:3000/webhooks', TEST_OPEN, resolvesTo('127.0.0.1', '::1')), undefined);
  assert.match((await checkWebhookUrl('http://localhost:3000/webhooks', TEST_CLOSED, resolvesTo('127.0.0.1', '::1')))!, /localhost resolves to 127\.0\.0\.1/);
  assert.match((await checkWebhookUrl('http://metadata.example/', TEST_OPEN, resolvesTo('169.254.169.254')))!, /link-local/);
  assert.equal(await checkWebhookUrl('http://shop.example/hook', TEST_CLOSED, resolvesTo('93.184.216.34')), undefined, 'plain http to a public address');
  assert.equal(await checkWebhookUrl('http://not-yet.example/hook', TEST_CLOSED, async () => { throw new Error('ENOTFOUND'); }), undefined,
    'a name that does not resolve yet is judged at each delivery');
  assert.match((await checkWebhookUrl('file:///etc/passwd', TEST_OPEN))!, /http and https/);
  assert.match((await checkWebhookUrl('not a url', TEST_OPEN))!, /not an absolute URL/);
});

function lookupThrough(policy: WebhookUrlPolicy, host: string, all: boolean): Promise<Error | null> {
  return new Promise((resolve) => guardedLookup(policy)(host, { all }, (err) => resolve(err)));
}

test('the connect-time lookup applies the same rules to what the name resolves to now', async () => {
  for (const all of [true, false]) {
    assert.match((await lookupThrough(LIVE, 'localhost', all))?.message ?? 'connected', /refused: localhost resolves to .*loopback/);
    assert.match((await lookupThrough(TEST_CLOSED, 'localhost', all))?.message ?? 'connected', /WEBHOOK_ALLOW_PRIVATE_URLS/);
    assert.equal(await lookupThrough(TEST_OPEN, 'localhost', all), null);
  }
});

test('WEBHOOK_ALLOW_PRIVATE_URLS is on by default only for a gateway listening on loopback', () => {
  const allow = (env: Record<string, string>) => loadConfig(env).webhooks.allowPrivateUrls;
  assert.equal(allow({}), true, 'HOST defaults to 127.0.0.1');
  for (const host of ['127.0.0.1', 'localhost', '::1', '127.0.0.2']) assert.equal(allow({ HOST: host }), true, host);
  for (const host of ['0.0.0.0', '::', '10.0.0.4', 'gateway.internal']) assert.equal(allow({ HOST: host }), false, host);
  assert.equal(allow({ HOST: '0.0.0.0', WEBHOOK_ALLOW_PRIVATE_URLS: 'on' }), true);
  assert.equal(allow({ HOST: '127.0.0.1', WEBHOOK_ALLOW_PRIVATE_URLS: 'false' }), false);
  assert.throws(() => loadConfig({ WEBHOOK_ALLOW_PRIVATE_URLS: 'maybe' }), (e: Error) => e instanceof ConfigError && /WEBHOOK_ALLOW_PRIVATE_URLS/.test(e.message));
  assert.equal(isLoopbackHost('LOCALHOST'), true);
});
