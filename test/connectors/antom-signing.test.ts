import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFixture } from '../helpers/fixtures.js';
import {
  generateAntomKeyPair, parseSignatureHeader, privateKeyFromBase64, publicKeyFromBase64,
  signedContent, signMessage, verifyMessage, signatureHeader,
} from '../../src/connectors/antom/signing.js';

interface Vectors {
  merchant_private_key_pkcs8_base64: string;
  merchant_public_key_x509_base64: string;
  cases: { method: string; path: string; client_id: string; request_time: string; body: string; signed_content: string; signature: string; header: string }[];
}
const vectors = JSON.parse(readFixture('antom-vectors.json')) as Vectors;
const priv = privateKeyFromBase64(vectors.merchant_private_key_pkcs8_base64);
const pub = publicKeyFromBase64(vectors.merchant_public_key_x509_base64);

for (const c of vectors.cases) {
  const m = { method: c.method, path: c.path, clientId: c.client_id, time: c.request_time, body: c.body };
  test(`signature matches the official SDK byte for byte: ${c.path} (${c.request_time})`, () => {
    assert.equal(signedContent(m), c.signed_content);
    assert.equal(signMessage(m, priv), c.signature);
    assert.equal(signatureHeader(signMessage(m, priv)), c.header);
    assert.equal(verifyMessage(m, c.signature, pub), true);
  });
  test(`a changed byte of the body or time fails verification: ${c.path}`, () => {
    assert.equal(verifyMessage({ ...m, body: m.body.replace('"', "'") }, c.signature, pub), false);
    assert.equal(verifyMessage({ ...m, time: m.time + '1' }, c.signature, pub), false);
    assert.equal(verifyMessage({ ...m, path: m.path + '?x=1' }, c.signature, pub), false);
  });
}

test('a signature from another key pair is refused', () => {
  const other = generateAntomKeyPair();
  const m = { method: 'POST', path: '/x', clientId: 'c', time: '1', body: '{}' };
  const sig = signMessage(m, privateKeyFromBase64(other.privateKeyBase64));
  assert.equal(verifyMessage(m, sig, pub), false);
  assert.equal(verifyMessage(m, sig, publicKeyFromBase64(other.publicKeyBase64)), true);
  assert.equal(verifyMessage(m, '', pub), false);
  assert.equal(verifyMessage(m, '%%%', pub), false);
});

test('the Signature header is parsed tolerantly (spaces, order, case)', () => {
  assert.deepEqual(parseSignatureHeader('algorithm=RSA256, keyVersion=2, signature=ab%2Bc'), { algorithm: 'RSA256', keyVersion: '2', signature: 'ab%2Bc' });
  assert.deepEqual(parseSignatureHeader('signature=xyz,algorithm=RSA256'), { algorithm: 'RSA256', keyVersion: '1', signature: 'xyz' });
  assert.equal(parseSignatureHeader('algorithm=RSA256'), undefined);
  assert.equal(parseSignatureHeader(undefined), undefined);
});
