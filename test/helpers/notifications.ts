/** Antom's notifyPayment as tests send it: signed with the simulator's Antom key, exactly as Antom would. */
import { privateKeyFromBase64, signatureHeader, signMessage } from '../../src/connectors/antom/signing.js';
import type { TestGateway } from './gateway.js';

export interface SignedNotification {
  raw: string;
  headers: { 'Content-Type': string; 'client-id': string; 'request-time': string; signature: string };
}

export function signedNotification(g: TestGateway, body: object, opts: { time?: string; key?: string } = {}): SignedNotification {
  const keys = g.gateway.simulatorKeys!;
  const raw = JSON.stringify(body);
  const time = opts.time ?? String(Date.now());
  const sig = signMessage({ method: 'POST', path: '/antom/notify', clientId: keys.clientId, time, body: raw }, privateKeyFromBase64(opts.key ?? keys.antomPrivateKey));
  return { raw, headers: { 'Content-Type': 'application/json', 'client-id': keys.clientId, 'request-time': time, signature: signatureHeader(sig) } };
}

/** A successful PAYMENT_RESULT for the simulator payment behind a PaymentIntent's redirect URL (CNY 20, seed 000). */
export async function paymentSucceeded(g: TestGateway, redirectUrl: string): Promise<{ body: Record<string, unknown>; paymentRequestId: string }> {
  const sim = (await (await fetch(`${g.url}/simulator/v1/payments?url=${encodeURIComponent(redirectUrl)}`)).json()) as { payment_request_id: string; payment_id: string };
  return {
    paymentRequestId: sim.payment_request_id,
    body: {
      notifyType: 'PAYMENT_RESULT', result: { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success' },
      paymentRequestId: sim.payment_request_id, paymentId: sim.payment_id, paymentAmount: { currency: 'CNY', value: '20' },
      paymentCreateTime: new Date().toISOString(), paymentTime: new Date().toISOString(), paymentMethodType: 'ALIPAY_CN',
    },
  };
}
