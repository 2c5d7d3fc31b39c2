/**
 * The events a running gateway records, read over its public API (`GET /v1/events`) as a stream
 * of new ones in the order they were created.
 *
 * Events are listed by a sequence number drawn at insert time, but transactions commit in their
 * own order: on PostgreSQL an event can become visible after a newer one has been read. Moving
 * the `ending_before` cursor to the newest event seen would skip it for good. So the cursor stays
 * on an event at least `settleMs` older (by the gateway's own `created` clock) than the newest one
 * seen; the events after it are read again each round and those already handed out are skipped.
 */

/** One event as the API returns it; everything else in it is forwarded untouched. */
export interface ApiEvent {
  id: string;
  type: string;
  created: number;
  [field: string]: unknown;
}

interface ListPage {
  data: ApiEvent[];
  has_more: boolean;
}

export type GatewayErrorKind = 'unreachable' | 'unauthorized' | 'cursor_gone' | 'http';

/** A failed call to the gateway, sorted by what the caller should do about it. */
export class GatewayError extends Error {
  constructor(readonly kind: GatewayErrorKind, message: string, readonly status?: number) {
    super(message);
  }
}

/** Why a `fetch` failed, in the words a developer recognises (`ECONNREFUSED`, not "fetch failed"). */
export function fetchFailure(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return 'timed out';
  return e.cause?.code ?? e.cause?.message ?? e.message;
}

/** A GET on the gateway's v1 API with a secret key. */
export async function getJson<T>(apiBase: string, apiKey: string, path: string, query: URLSearchParams, signal: AbortSignal): Promise<T> {
  const url = `${apiBase}/v1${path}${query.size ? `?${query}` : ''}`;
  let res: Response;
  try {
    res = await fetch(url, {
      headers: { Authorization: `Bearer ${apiKey}`, 'User-Agent': 'opencashier-listen' },
      signal: AbortSignal.any([signal, AbortSignal.timeout(10_000)]),
    });
  } catch (err) {
    if (signal.aborted) throw err;
    throw new GatewayError('unreachable', `cannot reach the gateway at ${apiBase} (${fetchFailure(err)})`);
  }
  const text = await res.text();
  if (res.ok) {
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new GatewayError('http', `GET ${path} answered ${res.status} with something other than JSON: is ${apiBase} an OpenCashier gateway?`, res.status);
    }
  }
  let error: { message?: string; param?: string } = {};
  try {
    error = (JSON.parse(text) as { error?: typeof error }).error ?? {};
  } catch {
    /* not our error shape (a proxy, another server on that port): the status says enough */
  }
  const detail = error.message ?? (text.slice(0, 200) || res.statusText);
  if (res.status === 401 || res.status === 403) {
    throw new GatewayError('unauthorized', `the gateway at ${apiBase} refused the API key (${res.status}: ${detail})`, res.status);
  }
  if (res.status === 404 && error.param === 'ending_before') throw new GatewayError('cursor_gone', detail, 404);
  throw new GatewayError('http', `GET ${path} answered ${res.status}: ${detail}`, res.status);
}

export interface FeedOptions {
  apiBase: string;
  apiKey: string;
  /** Only these event types (server-side `types[]`); undefined for all. */
  types?: string[];
  /** How far (ms of the events' `created`) behind the newest event the cursor waits. */
  settleMs?: number;
  /** Never re-read more than this many events per round, whatever their age. */
  maxReread?: number;
}

const PAGE = 100;

export class EventFeed {
  private cursor: string | undefined;
  /** Events after the cursor that were already handed out. */
  private handed = new Set<string>();
  private readonly settleMs: number;
  private readonly maxReread: number;

  constructor(private readonly opts: FeedOptions) {
    this.settleMs = opts.settleMs ?? 2_000;
    this.maxReread = opts.maxReread ?? 500;
  }

  /** Starts the stream at "now": only events recorded after this call will be returned. */
  async start(signal: AbortSignal): Promise<void> {
    const q = new URLSearchParams({ limit: '1' });
    const page = await this.list(q, signal);
    this.cursor = page.data[0]?.id;
    this.handed.clear();
  }

  /** The events recorded since the last call that were not returned before, oldest first. */
  async next(signal: AbortSignal): Promise<ApiEvent[]> {
    let batch: ApiEvent[];
    try {
      batch = await this.afterCursor(signal);
    } catch (err) {
      // The cursor event is gone (the gateway's data was reset): start over from what exists now.
      if (err instanceof GatewayError && err.kind === 'cursor_gone') {
        await this.start(signal);
        throw new GatewayError('cursor_gone', 'the last event seen no longer exists on the gateway (was its data reset?); listening from now on');
      }
      throw err;
    }
    const fresh = batch.filter((e) => !this.handed.has(e.id));
    this.advance(batch);
    return fresh;
  }

  private advance(batch: ApiEvent[]): void {
    if (batch.length === 0) return;
    const newest = batch.reduce((m, e) => Math.max(m, e.created), -Infinity);
    let last = -1; // index of the new cursor in batch
    for (let i = batch.length - 1; i >= 0; i--) {
      if (batch[i]!.created <= newest - this.settleMs) {
        last = i;
        break;
      }
    }
    last = Math.max(last, batch.length - 1 - this.maxReread);
    if (last >= 0) this.cursor = batch[last]!.id;
    this.handed = new Set(batch.slice(last + 1).map((e) => e.id));
  }

  private async list(q: URLSearchParams, signal: AbortSignal): Promise<ListPage> {
    const page = await getJson<Partial<ListPage>>(this.opts.apiBase, this.opts.apiKey, '/events', q, signal);
    if (!Array.isArray(page.data) || typeof page.has_more !== 'boolean') {
      throw new GatewayError('http', `GET /events did not answer with a list: is ${this.opts.apiBase} an OpenCashier gateway?`);
    }
    return page as ListPage;
  }

  /** Every event after the cursor, oldest first, following `has_more`. */
  private async afterCursor(signal: AbortSignal): Promise<ApiEvent[]> {
    const get = (extra: Record<string, string>) => {
      const q = new URLSearchParams({ limit: String(PAGE), ...extra });
      for (const t of this.opts.types ?? []) q.append('types[]', t);
      return this.list(q, signal);
    };
    const out: ApiEvent[] = [];
    if (this.cursor !== undefined) {
      // ending_before gives the page just newer than the cursor, newest first; its first item is
      // the cursor for the next page.
      let before = this.cursor;
      for (;;) {
        const page = await get({ ending_before: before });
        out.push(...[...page.data].reverse());
        const first = page.data[0];
        if (!page.has_more || !first) return out;
        before = first.id;
      }
    }
    // No event existed when we started: everything there is now is new. Walk back from the newest.
    let after: string | undefined;
    for (;;) {
      const page = await get(after ? { starting_after: after } : {});
      out.push(...page.data);
      const last = page.data[page.data.length - 1];
      if (!page.has_more || !last) return out.reverse();
      after = last.id;
    }
  }
}
