/**
 * What every outbox worker shares (webhooks.ts, url-notifications.ts): the loop that claims due
 * rows and keeps up to `maxInFlight` of them going, with a cap per destination (optionally a queue
 * per destination, so one claim can feed many sends to it), and the guarded POST
 * that decides, at the address actually connected to, whether a send may go there (url-guard.ts).
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { classifyAddress, guardedLookup, refuseAddress, type WebhookUrlPolicy } from './url-guard.js';

export interface SendResult {
  status: number | null;
  error: string | null;
  /** The start of the answer, kept only from public addresses; null otherwise. */
  excerpt: string | null;
  latencyMs: number;
}

/** ±10% so a destination recovering from an outage is not hit by every retry at once. */
export function jitter(ms: number): number {
  return Math.round(ms * (0.9 + Math.random() * 0.2));
}

/** Bytes of an answer kept with its attempt. */
const EXCERPT_BYTES = 1024;

export interface SenderOptions {
  /** The whole exchange (connect, send, the complete answer) must fit in this. */
  timeoutMs: number;
  /** Test mode may send to loopback and private addresses (see url-guard.ts). */
  allowPrivateUrls: boolean;
  userAgent: string;
}

/** POSTs bodies through the URL guard, with keep-alive pools kept apart per mode. */
export class GuardedSender {
  /**
   * A reused keep-alive socket skips the guarded lookup, so live and test sends never share one:
   * a socket test mode may open to a private address must not carry a live send.
   */
  private readonly agents = {
    live: { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) },
    test: { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) },
  };

  constructor(private readonly opts: SenderOptions) {}

  destroy(): void {
    for (const mode of [this.agents.live, this.agents.test]) {
      mode.http.destroy();
      mode.https.destroy();
    }
  }

  post(url: string, body: string, headers: Record<string, string>, livemode: boolean): Promise<SendResult> {
    const t0 = Date.now();
    const { timeoutMs } = this.opts;
    return new Promise((resolve) => {
      let settled = false;
      const done = (r: Omit<SendResult, 'latencyMs'>) => {
        if (settled) return;
        settled = true;
        resolve({ ...r, latencyMs: Date.now() - t0 });
      };
      let target: URL;
      try {
        target = new URL(url);
      } catch {
        return done({ status: null, error: 'invalid URL', excerpt: null });
      }
      if (target.protocol !== 'https:' && target.protocol !== 'http:') {
        return done({ status: null, error: `refused: only http and https URLs are sent to (got ${target.protocol})`, excerpt: null });
      }
      const policy: WebhookUrlPolicy = { livemode, allowPrivate: this.opts.allowPrivateUrls };
      // Node connects to an IP literal without calling `lookup`, so the guard there never sees it.
      const literal = target.hostname.replace(/^\[|\]$/g, '');
      const refused = isIP(literal) ? refuseAddress(literal, policy) : undefined;
      if (refused) return done({ status: null, error: `refused: ${literal} ${refused}`, excerpt: null });
      const https = target.protocol === 'https:';
      const send = https ? httpsRequest : httpRequest;
      const agents = livemode ? this.agents.live : this.agents.test;
      let req: ReturnType<typeof httpRequest>;
      try {
        req = send(target, {
          agent: https ? agents.https : agents.http,
          method: 'POST',
          headers: { ...headers, 'Content-Length': Buffer.byteLength(body), 'User-Agent': this.opts.userAgent },
          lookup: guardedLookup(policy) as never,
          timeout: timeoutMs,
        }, (res: IncomingMessage) => {
          // Whoever may name a destination could otherwise read what an inside service answers: a
          // reply from anything but a public address is consumed and never kept.
          const keep = classifyAddress(res.socket?.remoteAddress ?? '')?.kind === 'public';
          const decoder = new StringDecoder('utf8');
          let kept = 0;
          let excerpt = '';
          res.on('data', (chunk: Buffer) => {
            if (!keep || kept >= EXCERPT_BYTES) return;
            const part = chunk.subarray(0, EXCERPT_BYTES - kept);
            kept += part.length;
            excerpt += decoder.write(part); // a character cut at the limit is left out, never garbled
          });
          // PostgreSQL text cannot hold NUL: one in an answer must not stop the attempt being recorded.
          const text = () => (keep ? excerpt.replaceAll('\u0000', '\ufffd') : null);
          res.on('end', () => done({ status: res.statusCode ?? null, error: null, excerpt: text() }));
          res.on('error', (err) => done({ status: res.statusCode ?? null, error: err.message, excerpt: text() }));
        });
      } catch (err) {
        return done({ status: null, error: (err as Error).message, excerpt: null });
      }
      // The whole exchange is bounded, not only idle time: a trickling server is cut off too.
      const deadline = setTimeout(() => req.destroy(new Error(`no complete answer within ${timeoutMs} ms`)), timeoutMs);
      req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on('error', (err) => done({ status: null, error: err.message, excerpt: null }));
      req.on('close', () => clearTimeout(deadline));
      req.end(body);
    });
  }
}

export interface OutboxLoopOptions<T> {
  /** Names the rows in log lines ("webhook deliveries", "URL notifications"). */
  what: string;
  intervalMs: number;
  /** At most this many rows held at once (claimed and not yet ended). */
  maxInFlight: number;
  log: { error(obj: object, msg?: string): void };
  /**
   * Claims up to `free` due rows (with a lease, SKIP LOCKED). `inFlight` counts the rows this
   * process holds per destination (sending or waiting to), for the caps per destination.
   */
  claim(free: number, inFlight: ReadonlyMap<string, number>): Promise<T[]>;
  idOf(row: T): string;
  /** The destination a row goes to (an endpoint, a site): sends are capped per destination. */
  destinationOf(row: T): string;
  /** Sends one row and records the attempt (or hands it to be recorded); a throw leaves the row to its lease. */
  deliver(row: T): Promise<void>;
  /**
   * With a claim that takes more rows per destination than may be sent to it at once: at most
   * `sendCap` sends per destination, the rest wait their turn in claim order. A row that waited
   * until `stale` says its lease could not cover its send goes to `handBack` instead, as do the
   * rows still waiting at stop. Without it, every claimed row is sent at once.
   */
  queue?: {
    sendCap: number;
    stale(row: T): boolean;
    handBack(rows: T[]): Promise<void>;
  };
}

/** Claims due rows and keeps the in-flight set topped up; never waits for a send. */
export class OutboxLoop<T> {
  private readonly held = new Map<string, string>(); // row id → destination: claimed, not yet ended
  private readonly waiting = new Map<string, T[]>(); // destination → rows not yet sent
  private readonly sending = new Map<string, number>(); // destination → sends under way
  private readonly sends = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private kickTimer: NodeJS.Timeout | undefined;
  private stopped = true;
  private claiming = false;
  /** A destination ran low while a claim was under way: claim again when it returns. */
  private again = false;

  constructor(private readonly opts: OutboxLoopOptions<T>) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.timer = setInterval(() => void this.fill(), this.opts.intervalMs);
    this.timer.unref();
    void this.fill();
  }

  /** Stops claiming, hands back the rows not yet sent, and waits for the sends under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.kickTimer) clearTimeout(this.kickTimer);
    this.timer = undefined;
    this.kickTimer = undefined;
    const left = [...this.waiting.values()].flat();
    this.waiting.clear();
    if (left.length > 0) await this.handBack(left);
    while (this.sends.size > 0) await Promise.allSettled([...this.sends]);
  }

  /** Something was enqueued: look shortly (after the enqueuing transaction has committed). */
  kick(): void {
    if (this.stopped || this.kickTimer) return;
    this.kickTimer = setTimeout(() => {
      this.kickTimer = undefined;
      void this.fill();
    }, 20);
    this.kickTimer.unref();
  }

  /** Claims and sends everything due now, and waits for those sends (tests and the bench). */
  async runOnce(): Promise<number> {
    const n = await this.fill();
    while (this.sends.size > 0) await Promise.allSettled([...this.sends]);
    return n;
  }

  private async fill(): Promise<number> {
    if (this.claiming) return 0;
    this.claiming = true;
    let started = 0;
    try {
      // runOnce() claims on a loop that was never started; ends that came meanwhile claim again only while running.
      do {
        this.again = false;
        started += await this.claimRound();
      } while (this.again && !this.stopped);
    } finally {
      this.claiming = false;
    }
    return started;
  }

  private async claimRound(): Promise<number> {
    let started = 0;
    try {
      for (;;) {
        const free = this.opts.maxInFlight - this.held.size;
        if (free <= 0) break;
        const perDestination = new Map<string, number>();
        for (const d of this.held.values()) perDestination.set(d, (perDestination.get(d) ?? 0) + 1);
        const due = await this.opts.claim(free, perDestination);
        if (due.length === 0) break;
        const touched = new Set<string>();
        for (const row of due) {
          const dest = this.opts.destinationOf(row);
          this.held.set(this.opts.idOf(row), dest);
          let q = this.waiting.get(dest);
          if (!q) this.waiting.set(dest, (q = []));
          q.push(row);
          touched.add(dest);
          started++;
        }
        for (const dest of touched) this.dispatch(dest);
        if (due.length < free) break;
      }
    } catch (err) {
      this.opts.log.error({ err }, `claiming ${this.opts.what} failed; retrying next round`);
    }
    return started;
  }

  /** Starts the waiting sends of a destination that its cap allows. */
  private dispatch(dest: string): void {
    const q = this.waiting.get(dest);
    const cap = this.opts.queue?.sendCap ?? Infinity;
    const stale: T[] = [];
    while (q && q.length > 0 && (this.sending.get(dest) ?? 0) < cap) {
      const row = q.shift()!;
      // Stopping: what has not started is handed back, not sent.
      if (this.opts.queue && (this.stopped || this.opts.queue.stale(row))) stale.push(row);
      else this.send(row, dest);
    }
    if (q?.length === 0) this.waiting.delete(dest);
    if (stale.length > 0) {
      const p: Promise<void> = this.handBack(stale).finally(() => this.sends.delete(p));
      this.sends.add(p);
    }
  }

  private send(row: T, dest: string): void {
    const id = this.opts.idOf(row);
    this.sending.set(dest, (this.sending.get(dest) ?? 0) + 1);
    const p = this.opts.deliver(row)
      .catch((err: unknown) => this.opts.log.error({ err, id }, `${this.opts.what}: bookkeeping failed; the lease will bring it back`))
      .finally(() => {
        this.held.delete(id);
        const n = (this.sending.get(dest) ?? 1) - 1;
        if (n === 0) this.sending.delete(dest);
        else this.sending.set(dest, n);
        this.sends.delete(p);
        this.dispatch(dest);
        this.refill(dest);
      });
    this.sends.add(p);
  }

  private async handBack(rows: T[]): Promise<void> {
    try {
      await this.opts.queue?.handBack(rows);
    } catch (err) {
      this.opts.log.error({ err }, `handing back ${this.opts.what} failed; their lease will bring them back`);
    } finally {
      for (const row of rows) this.held.delete(this.opts.idOf(row));
    }
  }

  /**
   * A send ended. Without a queue: look again shortly, as for an enqueue. With one: claim at once
   * when the destination has nothing waiting, or just one round of sends left waiting (so the next
   * rows arrive before its sends run dry, and one claim serves many sends).
   */
  private refill(dest: string): void {
    if (this.stopped) return;
    const queue = this.opts.queue;
    if (!queue) return this.kick();
    const waiting = this.waiting.get(dest)?.length ?? 0;
    if (waiting !== 0 && waiting !== queue.sendCap) return;
    if (this.claiming) this.again = true;
    else void this.fill();
  }
}

/**
 * An outbox worker: the loop and the sender, wired. A subclass says how to claim, identify and
 * deliver its rows; start, stop, kick and runOnce are the same for every outbox.
 */
export abstract class OutboxWorker<T> {
  protected readonly sender: GuardedSender;
  private readonly loop: OutboxLoop<T>;

  constructor(o: SenderOptions & { what: string; intervalMs: number; maxInFlight: number; log: { error(obj: object, msg?: string): void }; sendCap?: number }) {
    this.sender = new GuardedSender(o);
    this.loop = new OutboxLoop<T>({
      what: o.what,
      intervalMs: o.intervalMs,
      maxInFlight: o.maxInFlight,
      log: o.log,
      claim: (free, inFlight) => this.claim(free, inFlight),
      idOf: (row) => this.idOf(row),
      destinationOf: (row) => this.destinationOf(row),
      deliver: (row) => this.deliver(row),
      queue: o.sendCap === undefined ? undefined : {
        sendCap: o.sendCap,
        stale: (row) => this.stale(row),
        handBack: (rows) => this.handBack(rows),
      },
    });
  }

  protected abstract claim(free: number, inFlight: ReadonlyMap<string, number>): Promise<T[]>;
  protected abstract idOf(row: T): string;
  protected abstract destinationOf(row: T): string;
  protected abstract deliver(row: T): Promise<void>;
  /** With `sendCap`: whether a row that waited its turn may no longer be sent under its lease. */
  protected stale(_row: T): boolean {
    return false;
  }
  /** With `sendCap`: rows claimed and never sent, to be claimable again now. */
  protected handBack(_rows: T[]): Promise<void> {
    return Promise.resolve();
  }
  /** Waits for what deliver() left to finish in the background (recording); nothing by default. */
  protected settle(): Promise<void> {
    return Promise.resolve();
  }

  start(): void {
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    await this.settle();
    this.sender.destroy();
  }

  /** Something was enqueued: look shortly (after the enqueuing transaction has committed). */
  kick(): void {
    this.loop.kick();
  }

  /** Claims and sends everything due now, and waits for those sends (tests and the bench). */
  async runOnce(): Promise<number> {
    const n = await this.loop.runOnce();
    await this.settle();
    return n;
  }
}
