/**
 * The log of calls to the upstream, which the dashboard shows as "the upstream calls" of a payment.
 *
 * {@link recordingConnector} wraps any {@link PaymentConnector} and times each call; the row goes to
 * a {@link UpstreamCallSink}. {@link StoreCallSink} writes rows in batches, off the request path: a
 * payment must never wait for, nor fail because of, its own audit line.
 *
 * One row is one connector call. The Antom connector may send the same request more than once
 * within a call (after an answer it cannot use), so `latency_ms` covers those retries and `error`
 * says why the last one failed.
 */
import { performance } from 'node:perf_hooks';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/context.js';
import type { PaymentConnector } from '../core/connector.js';
import type { Queryable } from './db.js';

export type UpstreamApi = 'pay' | 'inquiryPayment' | 'cancel' | 'refund' | 'inquiryRefund' | 'acceptDispute' | 'supplyDefenseDocument';

/** One call as recorded; a row of `upstream_calls` without its id. */
export interface UpstreamCall {
  /** When the call began (ms since the epoch, the gateway's clock). */
  started: number;
  livemode: boolean;
  api: UpstreamApi;
  /** The paymentRequestId (an attempt id) or refundRequestId (a refund id). */
  reference: string;
  /** For `refund`: Antom's paymentId it refunds; otherwise null. */
  payment_reference: string | null;
  /**
   * The connector's status for the answer: action_required, processing, succeeded, failed,
   * canceled (payments); canceled, refused (cancel); succeeded, pending, failed (refunds); unknown
   * (no usable answer); exception (the connector threw — a bug).
   */
  outcome: string;
  /** Antom's code where the connector keeps one (failed, refused), else null. */
  result_code: string | null;
  /** Why there was no usable answer (`transport: timeout`, `HTTP 500`, `U UNKNOWN_EXCEPTION: …`), else null. */
  error: string | null;
  latency_ms: number;
}

export interface UpstreamCallRow extends UpstreamCall {
  id: number;
}

/** Where {@link recordingConnector} hands its rows. Must not throw and must not block. */
export interface UpstreamCallSink {
  record(call: UpstreamCall): void;
}

/** How long calls are kept before the background worker prunes them. */
export const CALL_RETENTION_MS = 90 * 24 * 3_600_000;

const ERROR_MAX = 200;

/** Short, one line, and text the store can hold (a NUL or lone surrogate would fail the whole batch). */
function clip(text: string): string {
  const line = text.replace(/\p{Cc}|\p{Cs}/gu, ' ');
  return line.length > ERROR_MAX ? `${line.slice(0, ERROR_MAX - 1)}…` : line;
}

/** Every connector answer is `{ status, code?, reason? }`, so one reading serves all five calls. */
function describe(result: { status: string; code?: unknown; reason?: unknown }): Pick<UpstreamCall, 'outcome' | 'result_code' | 'error'> {
  return {
    outcome: result.status,
    result_code: typeof result.code === 'string' ? result.code : null,
    error: result.status === 'unknown' && typeof result.reason === 'string' ? clip(result.reason) : null,
  };
}

/** `inner`, with each call timed and handed to `sink`. Answers and throws pass through unchanged. */
export function recordingConnector(inner: PaymentConnector, sink: UpstreamCallSink, livemode: boolean, clock: Clock): PaymentConnector {
  async function timed<T extends { status: string }>(api: UpstreamApi, reference: string, paymentReference: string | null, call: () => Promise<T>): Promise<T> {
    const started = clock.now();
    // A monotonic clock for the duration: tests move the gateway's clock, and wall time can jump.
    const t0 = performance.now();
    const row = (d: Pick<UpstreamCall, 'outcome' | 'result_code' | 'error'>): UpstreamCall =>
      ({ started, livemode, api, reference, payment_reference: paymentReference, ...d, latency_ms: Math.round(performance.now() - t0) });
    let result: T;
    try {
      result = await call();
    } catch (err) {
      const e = err as Error;
      sink.record(row({ outcome: 'exception', result_code: null, error: clip(`${e?.name ?? 'Error'}: ${e?.message ?? String(err)}`) }));
      throw err;
    }
    sink.record(row(describe(result)));
    return result;
  }
  return {
    pay: (req, fields) => timed('pay', req.paymentRequestId, null, () => inner.pay(req, fields)),
    inquiryPayment: (id, fields) => timed('inquiryPayment', id, null, () => inner.inquiryPayment(id, fields)),
    cancel: (id, fields) => timed('cancel', id, null, () => inner.cancel(id, fields)),
    refund: (req, fields) => timed('refund', req.refundRequestId, req.paymentId, () => inner.refund(req, fields)),
    inquiryRefund: (id, fields) => timed('inquiryRefund', id, null, () => inner.inquiryRefund(id, fields)),
    acceptDispute: (id, fields) => timed('acceptDispute', id, null, () => inner.acceptDispute(id, fields)),
    supplyDefenseDocument: (id, doc, fields) => timed('supplyDefenseDocument', id, null, () => inner.supplyDefenseDocument(id, doc, fields)),
  };
}

const COLUMNS = ['started', 'livemode', 'api', 'reference', 'payment_reference', 'outcome', 'result_code', 'error', 'latency_ms'] as const;

/** One multi-row INSERT for the whole batch. */
async function insertCalls(q: Queryable, calls: readonly UpstreamCall[]): Promise<void> {
  if (calls.length === 0) return;
  const params: unknown[] = [];
  const tuples = calls.map((c) => `(${COLUMNS.map((col) => `$${params.push(c[col])}`).join(', ')})`);
  await q.query(`INSERT INTO upstream_calls (${COLUMNS.join(', ')}) VALUES ${tuples.join(', ')}`, params);
}

export interface StoreCallSinkOptions {
  log: Pick<Logger, 'warn'>;
  /** How long a row may wait for company before it is written. */
  flushMs?: number;
  /** Rows per INSERT; a full batch is written at once. */
  batchRows?: number;
  /** Rows held while the store is slow; beyond this, new rows are dropped (and counted in the warning). */
  maxBuffered?: number;
}

/**
 * Buffers calls and writes them in batches. A failed write is logged and its rows dropped: this is
 * a log, and holding rows for a store that is down would only grow memory.
 */
export class StoreCallSink implements UpstreamCallSink {
  private buffer: UpstreamCall[] = [];
  private timer: NodeJS.Timeout | undefined;
  private queued = false;
  private writing: Promise<void> = Promise.resolve();
  private dropped = 0;
  private stopped = false;
  private readonly flushMs: number;
  private readonly batchRows: number;
  private readonly maxBuffered: number;

  constructor(private readonly q: Queryable, private readonly opts: StoreCallSinkOptions) {
    this.flushMs = opts.flushMs ?? 50;
    this.batchRows = opts.batchRows ?? 100;
    this.maxBuffered = opts.maxBuffered ?? 10_000;
  }

  record(call: UpstreamCall): void {
    if (this.stopped) return;
    if (this.buffer.length >= this.maxBuffered) {
      this.dropped++;
      return;
    }
    this.buffer.push(call);
    if (this.queued) return;
    if (this.buffer.length >= this.batchRows) void this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.flushMs);
      // A pending log line is no reason to keep a process alive; stop() writes it.
      this.timer.unref();
    }
  }

  /** Writes everything recorded so far; resolves when it is written (or its failure logged). Never rejects. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.queued) {
      this.queued = true;
      this.writing = this.writing.then(() => this.drain());
    }
    return this.writing;
  }

  /** Writes what is buffered and takes no more rows. Call before the store closes. */
  stop(): Promise<void> {
    this.stopped = true;
    return this.flush();
  }

  private async drain(): Promise<void> {
    this.queued = false;
    while (this.buffer.length > 0) {
      const batch = this.buffer.splice(0, this.batchRows);
      try {
        await insertCalls(this.q, batch);
      } catch (err) {
        this.opts.log.warn({ err, rows: batch.length }, 'upstream calls not recorded');
      }
    }
    if (this.dropped > 0) {
      this.opts.log.warn({ rows: this.dropped }, 'upstream calls not recorded: too many waiting for the store');
      this.dropped = 0;
    }
  }
}

/** The calls about these references (attempt and refund ids), oldest first. */
export function callsFor(q: Queryable, references: readonly string[]): Promise<UpstreamCallRow[]> {
  if (references.length === 0) return Promise.resolve([]);
  return q.query<UpstreamCallRow & Record<string, unknown>>(
    `SELECT id, started, livemode, api, reference, payment_reference, outcome, result_code, error, latency_ms
       FROM upstream_calls WHERE reference = ANY($1::text[]) ORDER BY started, id`,
    [references],
  );
}

/** Deletes calls that started before `olderThan`; returns how many. */
export async function pruneCalls(q: Queryable, olderThan: number): Promise<number> {
  const rows = await q.query<{ n: number }>(
    'WITH d AS (DELETE FROM upstream_calls WHERE started < $1 RETURNING 1) SELECT count(*)::int AS n FROM d', [olderThan]);
  return rows[0]?.n ?? 0;
}
