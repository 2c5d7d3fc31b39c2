/**
 * The storage port core is given. `store/` implements it in SQL on PGlite and PostgreSQL; core
 * never sees SQL. Every write happens inside {@link Store.tx}, so a change and the events it
 * emits commit together or not at all.
 */
import type {
  ChargeRecord, DisputeRecord, EventRecord, PaymentAttemptRecord, PaymentIntentRecord, PaymentMethodRecord, RefundRecord,
  WebhookAttemptRecord, WebhookDeliveryRecord, WebhookEndpointRecord,
  CheckoutSessionRecord, LineItemRecord, PriceRecord, ProductRecord,
} from './model.js';
import type { TpRepo } from './settlement/records.js';
import type { BusinessProfile } from './catalog/prohibited-businesses.js';
import type { BalanceTotal, BalanceTransactionRecord, SettlementReportRow } from './balances/records.js';
import type { FileRecord } from './files/file.js';

/** Whose data: every read and write is scoped to one account in one mode. */
export interface Scope {
  account_id: string;
  livemode: boolean;
}

export interface CreatedFilter {
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
}

export interface ListQuery {
  limit: number;
  starting_after?: string;
  ending_before?: string;
  created?: CreatedFilter;
}

export interface Page<T> {
  data: T[];
  has_more: boolean;
}

export interface PaymentIntentRepo {
  get(scope: Scope, id: string): Promise<PaymentIntentRecord | undefined>;
  /** Reads and locks the row until the transaction ends (FOR UPDATE). */
  lock(scope: Scope, id: string): Promise<PaymentIntentRecord | undefined>;
  /** Unscoped, for upstream callbacks and shopper pages that name the payment and carry no API key. */
  findById(id: string): Promise<PaymentIntentRecord | undefined>;
  lockById(id: string): Promise<PaymentIntentRecord | undefined>;
  /**
   * In a transaction: act on the row as it was last seen, without reading it again. The commit
   * locks it and checks that it is still exactly so before any write; when it changed, the
   * transaction fails with {@link StoreStale} and writes nothing.
   */
  presume(pi: PaymentIntentRecord): void;
  findByIdempotencyKey(scope: Scope, key: string): Promise<PaymentIntentRecord | undefined>;
  insert(pi: PaymentIntentRecord): Promise<void>;
  update(pi: PaymentIntentRecord): Promise<void>;
  /** Returns undefined when a cursor names no object of this scope. */
  list(scope: Scope, q: ListQuery): Promise<Page<PaymentIntentRecord> | undefined>;
}

export interface AttemptRepo {
  get(id: string): Promise<PaymentAttemptRecord | undefined>;
  lock(id: string): Promise<PaymentAttemptRecord | undefined>;
  /** As {@link PaymentIntentRepo.presume}. */
  presume(a: PaymentAttemptRecord): void;
  /** The attempt still in flight for a PaymentIntent (pending, redirected or processing), if any. */
  open(paymentIntentId: string): Promise<PaymentAttemptRecord | undefined>;
  insert(a: PaymentAttemptRecord): Promise<void>;
  update(a: PaymentAttemptRecord): Promise<void>;
  /**
   * Claims up to `limit` attempts whose next poll is due, pushing their next poll `leaseMs` ahead
   * so no other process takes them meanwhile (FOR UPDATE SKIP LOCKED).
   */
  claimDue(now: number, limit: number, leaseMs: number): Promise<PaymentAttemptRecord[]>;
  /** Claimed attempts not polled (shutting down): due now, unless moved on since the claim. */
  releaseClaims(claimed: readonly PaymentAttemptRecord[], now: number): Promise<void>;
}

export interface PaymentMethodRepo {
  get(scope: Scope, id: string): Promise<PaymentMethodRecord | undefined>;
  insert(pm: PaymentMethodRecord): Promise<void>;
  update(pm: PaymentMethodRecord): Promise<void>;
}

export interface ChargeRepo {
  get(scope: Scope, id: string): Promise<ChargeRecord | undefined>;
  /** Reads and locks the charge: refunds of one charge are decided one at a time. */
  lock(scope: Scope, id: string): Promise<ChargeRecord | undefined>;
  lockById(id: string): Promise<ChargeRecord | undefined>;
  /**
   * A succeeded PaymentIntent's latest charge, read and locked in one statement; undefined when the
   * PaymentIntent is not there, not succeeded or has no charge (the caller reads it to say which).
   */
  lockLatestOf(scope: Scope, paymentIntentId: string): Promise<ChargeRecord | undefined>;
  byAttempt(attemptId: string): Promise<ChargeRecord | undefined>;
  insert(c: ChargeRecord): Promise<void>;
  update(c: ChargeRecord): Promise<void>;
  list(scope: Scope, q: ListQuery & { payment_intent?: string }): Promise<Page<ChargeRecord> | undefined>;
}

export interface EventRepo {
  insert(e: EventRecord): Promise<void>;
  /**
   * Inserts an event with one pending delivery for every enabled endpoint of its scope that wants
   * its type, and `pending_webhooks` their number — chosen by the store in the same statement, so
   * the event and its outbox rows cannot disagree. May be deferred to the end of the transaction.
   */
  record(e: Omit<EventRecord, 'pending_webhooks'>): Promise<void>;
  /** Moves `pending_webhooks` by `delta` (a delivery finished or was given up). */
  adjustPending(eventId: string, delta: number): Promise<void>;
  get(scope: Scope, id: string): Promise<EventRecord | undefined>;
  list(scope: Scope, q: ListQuery & { type?: string; types?: string[]; object_id?: string }): Promise<Page<EventRecord> | undefined>;
}

export interface NotificationLog {
  verdict: 'applied' | 'duplicate' | 'refused';
  reason?: string;
  path: string;
  headers: Record<string, unknown>;
  body: string;
  payment_request_id?: string;
  fingerprint?: string;
  received: number;
  /** The sender's address (for IPv6 its /64): refusals are counted by it. */
  source?: string;
  /** The body's full size, when only an excerpt of it is kept. */
  body_bytes?: number;
}

/** How many refused notifications are kept: per source and in all, since `since`. */
export interface RefusalBudget {
  since: number;
  perSource: number;
  total: number;
}

export interface NotificationRepo {
  /** True when an accepted notification with this fingerprint was already recorded. */
  seen(fingerprint: string): Promise<boolean>;
  record(n: NotificationLog): Promise<void>;
  /**
   * Keeps a refusal unless its source, or all sources together, already used the budget; false
   * when it was not kept. Run it in a transaction: refusals of one source are serialized there, so
   * concurrent ones cannot overshoot.
   */
  recordRefused(n: NotificationLog & { source: string }, budget: RefusalBudget): Promise<boolean>;
  /** Deletes refused notifications received before `olderThan`; accepted ones are the audit trail and stay. */
  pruneRefused(olderThan: number): Promise<number>;
}

export interface RefundStanding {
  reserved: number;
  upstreamPaymentId: string | null;
  disputed: boolean;
}

export interface RefundRepo {
  get(scope: Scope, id: string): Promise<RefundRecord | undefined>;
  lock(scope: Scope, id: string): Promise<RefundRecord | undefined>;
  /** Unscoped, for upstream notifications (the refund id is Antom's refundRequestId). */
  findById(id: string): Promise<RefundRecord | undefined>;
  lockById(id: string): Promise<RefundRecord | undefined>;
  findByIdempotencyKey(scope: Scope, key: string): Promise<RefundRecord | undefined>;
  /**
   * What a new refund of a charge is decided on, in one statement, to be read under the charge's
   * lock (a statement of its own, so that on PostgreSQL it sees what the lock's previous holder
   * committed): the sum of its pending and succeeded refunds, its attempt's Antom paymentId, and
   * whether a dispute of it is open.
   */
  standing(chargeId: string, attemptId: string): Promise<RefundStanding>;
  insert(r: RefundRecord): Promise<void>;
  update(r: RefundRecord): Promise<void>;
  list(scope: Scope, q: ListQuery & { payment_intent?: string; charge?: string }): Promise<Page<RefundRecord> | undefined>;
  /** Claims pending refunds whose next poll is due (SKIP LOCKED), pushing it `leaseMs` ahead. */
  claimDue(now: number, limit: number, leaseMs: number): Promise<RefundRecord[]>;
  /** Claimed refunds not polled (shutting down): due now, if still pending and unmoved since the claim. */
  releaseClaims(claimed: readonly RefundRecord[], now: number): Promise<void>;
}

export interface DisputeRepo {
  get(scope: Scope, id: string): Promise<DisputeRecord | undefined>;
  /** Unscoped, for notifyDispute: Antom's disputeId in one mode; locks the row. */
  lockByUpstreamId(livemode: boolean, upstreamDisputeId: string): Promise<DisputeRecord | undefined>;
  /** The charge's dispute that is still open (funds frozen), if any. */
  openFor(chargeId: string): Promise<DisputeRecord | undefined>;
  insert(d: DisputeRecord): Promise<void>;
  update(d: DisputeRecord): Promise<void>;
  list(scope: Scope, q: ListQuery & { payment_intent?: string; charge?: string }): Promise<Page<DisputeRecord> | undefined>;
}

export interface BalanceTransactionRepo {
  get(scope: Scope, id: string): Promise<BalanceTransactionRecord | undefined>;
  /** May wait for the commit with the transaction's other writes; a second one for a source and category breaks a unique rule. */
  insert(t: BalanceTransactionRecord): Promise<void>;
  /** The transactions of a charge, refund or dispute, oldest first. */
  forSource(sourceId: string): Promise<BalanceTransactionRecord[]>;
  list(scope: Scope, q: ListQuery & { type?: string; source?: string; currency?: string }): Promise<Page<BalanceTransactionRecord> | undefined>;
  /** The sum of `net` per currency and status: the folded totals plus the transactions not folded yet. */
  totals(scope: Scope): Promise<BalanceTotal[]>;
  /** Adds available transactions not folded yet to their account's running totals (SKIP LOCKED); returns how many. */
  fold(limit: number): Promise<number>;
  /** Makes pending transactions whose `available_on` has come available (SKIP LOCKED); returns how many. */
  releaseDue(now: number, limit: number): Promise<number>;
  /** Transactions created in [from, to), oldest first, with their payment's merchant references. */
  report(scope: Scope, from: number, to: number): Promise<SettlementReportRow[]>;
}

export interface FileRepo {
  /** The file's description, without its bytes. */
  get(scope: Scope, id: string): Promise<FileRecord | undefined>;
  /** The file and its bytes. */
  contents(scope: Scope, id: string): Promise<{ file: FileRecord; bytes: Uint8Array } | undefined>;
  insert(f: FileRecord, bytes: Uint8Array): Promise<void>;
  list(scope: Scope, q: ListQuery & { purpose?: string }): Promise<Page<FileRecord> | undefined>;
}

export interface WebhookEndpointRepo {
  get(scope: Scope, id: string): Promise<WebhookEndpointRecord | undefined>;
  lock(scope: Scope, id: string): Promise<WebhookEndpointRecord | undefined>;
  lockById(id: string): Promise<WebhookEndpointRecord | undefined>;
  insert(w: WebhookEndpointRecord): Promise<void>;
  update(w: WebhookEndpointRecord): Promise<void>;
  list(scope: Scope, q: ListQuery): Promise<Page<WebhookEndpointRecord> | undefined>;
  /** Enabled, not deleted endpoints of an account in one mode. */
  enabled(scope: Scope): Promise<WebhookEndpointRecord[]>;
  /**
   * Whether the scope may have an enabled endpoint: a hint (kept in memory for a second; exact for
   * changes made by this process) that says when to wake the delivery worker, never what to deliver.
   */
  mayDeliver(scope: Scope): Promise<boolean>;
}

export interface DueDelivery {
  delivery: WebhookDeliveryRecord;
  event: EventRecord;
  endpoint: WebhookEndpointRecord;
}

/** One send's attempt and what it decided for its delivery (DeliveryRepo.recordResults). */
export interface DeliveryResult extends WebhookAttemptRecord {
  endpoint_id: string;
  /** retry: pending again at `next_attempt_at`. */
  outcome: 'succeeded' | 'retry' | 'failed';
  next_attempt_at: number | null;
}

export interface DeliveryRepo {
  insert(d: WebhookDeliveryRecord): Promise<void>;
  get(scope: Scope, id: string): Promise<WebhookDeliveryRecord | undefined>;
  lock(id: string): Promise<WebhookDeliveryRecord | undefined>;
  update(d: WebhookDeliveryRecord): Promise<void>;
  list(scope: Scope, q: ListQuery & { event?: string; webhook_endpoint?: string; status?: string }): Promise<Page<WebhookDeliveryRecord> | undefined>;
  attempts(deliveryId: string): Promise<WebhookAttemptRecord[]>;
  recordAttempt(a: WebhookAttemptRecord): Promise<void>;
  /**
   * Claims up to `limit` pending deliveries that are due — for each endpoint at most what `room`
   * says, `perEndpoint` for an endpoint it does not name — and pushes each one's next attempt
   * `leaseMs` ahead (SKIP LOCKED). One statement: the events and endpoints come with them.
   */
  claimDue(now: number, limit: number, leaseMs: number, room: ReadonlyMap<string, number>, perEndpoint: number): Promise<DueDelivery[]>;
  /**
   * Keeps the attempts of many sends (in the order they ended) and what each decided, in one
   * statement (its own transaction; it locks endpoints, then events, in id order). A result applies to
   * its delivery only while the delivery is pending, and a failure only when no later claim has
   * moved it on; an ended delivery stops counting in its event's pending_webhooks; an endpoint's
   * failing_since is cleared by a success and started by a failure. Returns the endpoints whose
   * last result failed and that have been failing for `disableAfterMs` while enabled.
   */
  recordResults(results: readonly DeliveryResult[], now: number, disableAfterMs: number): Promise<string[]>;
  /** Pending deliveries of an endpoint, for giving them up when it is disabled or deleted. */
  pendingFor(endpointId: string): Promise<WebhookDeliveryRecord[]>;
}

export interface ProductRepo {
  get(scope: Scope, id: string): Promise<ProductRecord | undefined>;
  getMany(ids: readonly string[]): Promise<ProductRecord[]>;
  insert(p: ProductRecord): Promise<void>;
  update(p: ProductRecord): Promise<void>;
  list(scope: Scope, q: ListQuery & { active?: boolean }): Promise<Page<ProductRecord> | undefined>;
}

export interface PriceRepo {
  get(scope: Scope, id: string): Promise<PriceRecord | undefined>;
  getMany(ids: readonly string[]): Promise<PriceRecord[]>;
  insert(p: PriceRecord): Promise<void>;
  update(p: PriceRecord): Promise<void>;
  list(scope: Scope, q: ListQuery & { product?: string; active?: boolean; currency?: string; type?: string; lookup_keys?: string[] }): Promise<Page<PriceRecord> | undefined>;
}

export interface CheckoutSessionRepo {
  get(scope: Scope, id: string): Promise<CheckoutSessionRecord | undefined>;
  lock(scope: Scope, id: string): Promise<CheckoutSessionRecord | undefined>;
  /** Unscoped, for the hosted page (the id is the unguessable part of its URL). */
  findById(id: string): Promise<CheckoutSessionRecord | undefined>;
  lockById(id: string): Promise<CheckoutSessionRecord | undefined>;
  findByIdempotencyKey(scope: Scope, key: string): Promise<CheckoutSessionRecord | undefined>;
  insert(cs: CheckoutSessionRecord): Promise<void>;
  update(cs: CheckoutSessionRecord): Promise<void>;
  list(scope: Scope, q: ListQuery & { payment_intent?: string; status?: string }): Promise<Page<CheckoutSessionRecord> | undefined>;
  /** Open sessions past their expiry, oldest first. */
  dueToExpire(now: number, limit: number): Promise<CheckoutSessionRecord[]>;
}

export interface LineItemRepo {
  insert(li: LineItemRecord): Promise<void>;
  forSession(sessionId: string): Promise<LineItemRecord[]>;
}

export interface StoreTx {
  paymentIntents: PaymentIntentRepo;
  attempts: AttemptRepo;
  paymentMethods: PaymentMethodRepo;
  charges: ChargeRepo;
  events: EventRepo;
  notifications: NotificationRepo;
  refunds: RefundRepo;
  disputes: DisputeRepo;
  balanceTransactions: BalanceTransactionRepo;
  files: FileRepo;
  webhookEndpoints: WebhookEndpointRepo;
  deliveries: DeliveryRepo;
  products: ProductRepo;
  prices: PriceRepo;
  checkoutSessions: CheckoutSessionRepo;
  lineItems: LineItemRepo;
  /** The Trust Payments front door's transactions, sites and URL notifications (core/settlement/). */
  tp: TpRepo;
  idempotencyKeys: IdempotencyKeyRepo;
  accounts: AccountRepo;
}

export interface AccountRepo {
  /** What the merchant says its business is (core/catalog/prohibited-businesses.ts); empty when unset. */
  businessProfile(accountId: string): Promise<BusinessProfile>;
}

/**
 * An API request's claim on its Idempotency-Key (api/v1/plugin.ts; store/idempotency.ts keeps
 * the rest of the keys' life). `owner` is the process (presence.ts), `at` when it was claimed.
 */
export interface IdempotencyClaim {
  account_id: string;
  livemode: boolean;
  key: string;
  request_hash: string;
  method: string;
  path: string;
  request_id: string;
  owner: string;
  at: number;
}

export interface IdempotencyKeyRepo {
  /**
   * Claims the key in this transaction, so that it is committed with the operation's first
   * changes or not at all; with its answer, the key is saved as done at once. A key already claimed or used fails the transaction's commit with
   * {@link StoreConflict} of {@link IDEMPOTENCY_KEY_TAKEN}.
   */
  claim(c: IdempotencyClaim, answer?: { status: number; body: string }): Promise<void>;
}

/** The constraint a claim of a key already there breaks. */
export const IDEMPOTENCY_KEY_TAKEN = 'idempotency_keys_pkey';

/** Thrown by a transaction that hit a uniqueness rule (a concurrent twin got there first). */
/**
 * The store cannot be reached: the database is down, restarting, or dropped the connection. Nothing
 * more of the request's work can be read or written; the doors answer 503, and retrying later is
 * safe (what was committed before stays, what was not is not).
 */
export class StoreUnavailable extends Error {
  override readonly name = 'StoreUnavailable';
  constructor(readonly reason: string) {
    super(`the store is unavailable: ${reason}`);
  }
}

export class StoreConflict extends Error {
  constructor(readonly constraint: string | undefined) {
    super(`unique constraint ${constraint ?? ''} violated`);
  }
}

/**
 * Thrown by a transaction whose presumed row changed before its commit (`presume`): nothing was
 * written; do the work again reading under locks.
 */
export class StoreStale extends Error {
  constructor() {
    super('a presumed row changed since it was read');
  }
}

export interface Store extends StoreTx {
  tx<T>(fn: (s: StoreTx) => Promise<T>): Promise<T>;
}
