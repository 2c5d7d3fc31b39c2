/**
 * The storage port core is given. `store/` implements it in SQL on PGlite and PostgreSQL; core
 * never sees SQL. Every write happens inside {@link Store.tx}, so a change and the events it
 * emits commit together or not at all.
 */
import type {
  ChargeRecord, EventRecord, PaymentAttemptRecord, PaymentIntentRecord, PaymentMethodRecord,
} from './model.js';

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
  findByIdempotencyKey(scope: Scope, key: string): Promise<PaymentIntentRecord | undefined>;
  insert(pi: PaymentIntentRecord): Promise<void>;
  update(pi: PaymentIntentRecord): Promise<void>;
  /** Returns undefined when a cursor names no object of this scope. */
  list(scope: Scope, q: ListQuery): Promise<Page<PaymentIntentRecord> | undefined>;
}

export interface AttemptRepo {
  get(id: string): Promise<PaymentAttemptRecord | undefined>;
  lock(id: string): Promise<PaymentAttemptRecord | undefined>;
  /** The attempt still in flight for a PaymentIntent (pending, redirected or processing), if any. */
  open(paymentIntentId: string): Promise<PaymentAttemptRecord | undefined>;
  insert(a: PaymentAttemptRecord): Promise<void>;
  update(a: PaymentAttemptRecord): Promise<void>;
  /**
   * Claims up to `limit` attempts whose next poll is due, pushing their next poll `leaseMs` ahead
   * so no other process takes them meanwhile (FOR UPDATE SKIP LOCKED).
   */
  claimDue(now: number, limit: number, leaseMs: number): Promise<PaymentAttemptRecord[]>;
}

export interface PaymentMethodRepo {
  get(scope: Scope, id: string): Promise<PaymentMethodRecord | undefined>;
  insert(pm: PaymentMethodRecord): Promise<void>;
  update(pm: PaymentMethodRecord): Promise<void>;
}

export interface ChargeRepo {
  get(scope: Scope, id: string): Promise<ChargeRecord | undefined>;
  byAttempt(attemptId: string): Promise<ChargeRecord | undefined>;
  insert(c: ChargeRecord): Promise<void>;
  update(c: ChargeRecord): Promise<void>;
  list(scope: Scope, q: ListQuery & { payment_intent?: string }): Promise<Page<ChargeRecord> | undefined>;
}

export interface EventRepo {
  insert(e: EventRecord): Promise<void>;
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
}

export interface NotificationRepo {
  /** True when an accepted notification with this fingerprint was already recorded. */
  seen(fingerprint: string): Promise<boolean>;
  record(n: NotificationLog): Promise<void>;
}

export interface StoreTx {
  paymentIntents: PaymentIntentRepo;
  attempts: AttemptRepo;
  paymentMethods: PaymentMethodRepo;
  charges: ChargeRepo;
  events: EventRepo;
  notifications: NotificationRepo;
}

/** Thrown by a transaction that hit a uniqueness rule (a concurrent twin got there first). */
export class StoreConflict extends Error {
  constructor(readonly constraint: string | undefined) {
    super(`unique constraint ${constraint ?? ''} violated`);
  }
}

export interface Store extends StoreTx {
  tx<T>(fn: (s: StoreTx) => Promise<T>): Promise<T>;
}
