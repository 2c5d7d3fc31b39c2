/**
 * The Antom connector: core's {@link PaymentConnector} over Alipay's acquiring API
 * (docs/antom-protocol.md). Requests are signed, responses verified; a response we cannot trust is an
 * `unknown` outcome, never a guess. Pointing it at the real sandbox or production is a matter of
 * `baseUrl`, `clientId` and keys.
 */
import type { KeyObject } from 'node:crypto';
import type {
  AcceptDisputeOutcome, CallFields, DefenseOutcome, CancelOutcome, PayRequest, PaymentConnector, PaymentOutcome, RefundOutcome, RefundRequest, UnknownOutcome,
} from '../../core/connector.js';
import type { AntomCredentials } from '../../config.js';
import { toAntomAmount } from '../../core/money.js';
import { parseSignatureHeader, privateKeyFromBase64, publicKeyFromBase64, signatureHeader, signMessageAsync, verifyMessage } from './signing.js';
import { deadline } from './deadline.js';
import { mapAcceptDispute, mapSupplyDefense, mapCancel, mapInquiryPayment, mapInquiryRefund, mapPay, mapRefund, type AntomResponse } from './mapping.js';

export interface AntomClientOptions {
  timeoutMs: number;
  settlementCurrency: string;
  /** Extra sends of the same request after an unknown outcome, within one call. */
  retries?: number;
  retryDelayMs?: number;
  /** Where the client's warnings go; `fields` start with the call's own (CallFields: the request it serves). */
  log?: (msg: string, fields: Record<string, unknown>) => void;
}

export type AntomCall = 'pay' | 'inquiryPayment' | 'cancel' | 'refund' | 'inquiryRefund' | 'acceptDispute' | 'supplyDefenseDocument';

/** Sandbox client ids go to `/ams/sandbox/api/…`; the rewrite happens before signing (antom.md §1). */
export function apiPath(clientId: string, call: AntomCall): string {
  const base = clientId.startsWith('SANDBOX_') ? '/ams/sandbox/api/v1/payments/' : '/ams/api/v1/payments/';
  return base + call;
}

type CallResult = { ok: true; response: AntomResponse } | { ok: false; reason: string };

export class AntomClient implements PaymentConnector {
  private readonly privateKey: KeyObject;
  private readonly antomPublicKey: KeyObject;
  private readonly baseUrl: string;

  constructor(private readonly creds: AntomCredentials, private readonly opts: AntomClientOptions) {
    this.privateKey = privateKeyFromBase64(creds.privateKeyBase64);
    this.antomPublicKey = publicKeyFromBase64(creds.antomPublicKeyBase64);
    this.baseUrl = creds.baseUrl.replace(/\/+$/, '');
  }

  get clientId(): string {
    return this.creds.clientId;
  }

  async pay(req: PayRequest, fields?: CallFields): Promise<PaymentOutcome | UnknownOutcome> {
    const amount = toAntomAmount(req.amount, req.currency);
    // Built only from stored fields, so a retry sends the same bytes (else REPEAT_REQ_INCONSISTENT).
    const env: Record<string, string> = { terminalType: req.terminalType };
    if (req.osType) env.osType = req.osType;
    if (req.clientIp) env.clientIp = req.clientIp;
    const body = {
      productCode: 'CASHIER_PAYMENT',
      paymentRequestId: req.paymentRequestId,
      order: {
        referenceOrderId: req.referenceOrderId,
        orderDescription: req.description.slice(0, 256),
        orderAmount: amount,
      },
      paymentAmount: amount,
      paymentMethod: { paymentMethodType: req.upstreamMethod },
      env,
      settlementStrategy: { settlementCurrency: this.opts.settlementCurrency },
      paymentRedirectUrl: req.redirectUrl,
      paymentNotifyUrl: req.notifyUrl,
    };
    return this.withRetries('pay', body, mapPay, fields);
  }

  inquiryPayment(paymentRequestId: string, fields?: CallFields): Promise<PaymentOutcome | UnknownOutcome> {
    return this.withRetries('inquiryPayment', { paymentRequestId }, mapInquiryPayment, fields);
  }

  cancel(paymentRequestId: string, fields?: CallFields): Promise<CancelOutcome | UnknownOutcome> {
    return this.withRetries('cancel', { paymentRequestId }, mapCancel, fields);
  }

  refund(req: RefundRequest, fields?: CallFields): Promise<RefundOutcome | UnknownOutcome> {
    const body: Record<string, unknown> = {
      refundRequestId: req.refundRequestId,
      paymentId: req.paymentId,
      refundAmount: toAntomAmount(req.amount, req.currency),
    };
    if (req.reason) body.refundReason = req.reason.slice(0, 256);
    if (req.notifyUrl) body.refundNotifyUrl = req.notifyUrl;
    return this.withRetries('refund', body, mapRefund, fields);
  }

  inquiryRefund(refundRequestId: string, fields?: CallFields): Promise<RefundOutcome | UnknownOutcome> {
    return this.withRetries('inquiryRefund', { refundRequestId }, mapInquiryRefund, fields);
  }

  acceptDispute(disputeId: string, fields?: CallFields): Promise<AcceptDisputeOutcome | UnknownOutcome> {
    return this.withRetries('acceptDispute', { disputeId }, mapAcceptDispute, fields);
  }

  supplyDefenseDocument(disputeId: string, evidenceBase64: string, fields?: CallFields): Promise<DefenseOutcome | UnknownOutcome> {
    return this.withRetries('supplyDefenseDocument', { disputeId, disputeEvidence: evidenceBase64 }, mapSupplyDefense, fields);
  }

  private async withRetries<T>(
    call: AntomCall, body: object, map: (r: AntomResponse) => T | UnknownOutcome, fields?: CallFields,
  ): Promise<T | UnknownOutcome> {
    const json = JSON.stringify(body);
    const attempts = 1 + (this.opts.retries ?? 2);
    let last: UnknownOutcome = { status: 'unknown', reason: 'not sent' };
    for (let i = 0; i < attempts; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, (this.opts.retryDelayMs ?? 300) * 2 ** (i - 1)));
      const res = await this.send(call, json);
      const outcome: T | UnknownOutcome = res.ok ? map(res.response) : { status: 'unknown', reason: res.reason };
      if ((outcome as { status: string }).status !== 'unknown') return outcome;
      last = outcome as UnknownOutcome;
      this.opts.log?.('antom call without a usable answer', { ...fields, call, attempt: i + 1, reason: last.reason });
    }
    return last;
  }

  /** One signed POST; the response is trusted only if Antom's signature over it verifies. */
  private async send(call: AntomCall, body: string): Promise<CallResult> {
    const path = apiPath(this.creds.clientId, call);
    const time = String(Date.now());
    const signature = await signMessageAsync({ method: 'POST', path, clientId: this.creds.clientId, time, body }, this.privateKey);
    let res: Response;
    let text: string;
    const limit = deadline(this.opts.timeoutMs);
    try {
      res = await fetch(this.baseUrl + path, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json; charset=UTF-8',
          'Client-Id': this.creds.clientId,
          'Request-Time': time,
          Signature: signatureHeader(signature),
        },
        body,
        signal: limit.signal,
      });
      text = await res.text();
    } catch (err) {
      // fetch says only "fetch failed"; its cause names what happened (ECONNREFUSED, ENOTFOUND, …).
      const e = err as Error & { cause?: { code?: unknown } };
      const why = e.name === 'TimeoutError' ? 'timeout' : typeof e.cause?.code === 'string' ? e.cause.code : e.message;
      return { ok: false, reason: `transport: ${why}` };
    } finally {
      limit.clear();
    }
    if (res.status !== 200) return { ok: false, reason: `HTTP ${res.status}` };
    const sig = parseSignatureHeader(res.headers.get('signature') ?? undefined);
    const responseTime = res.headers.get('response-time');
    const clientId = res.headers.get('client-id');
    if (!sig || !responseTime || !clientId) return { ok: false, reason: 'response not signed' };
    const trusted = verifyMessage({ method: 'POST', path, clientId, time: responseTime, body: text }, sig.signature, this.antomPublicKey);
    if (!trusted || clientId !== this.creds.clientId) return { ok: false, reason: 'response signature invalid' };
    try {
      return { ok: true, response: JSON.parse(text) as AntomResponse };
    } catch {
      return { ok: false, reason: 'response is not JSON' };
    }
  }
}
