/** The simulator's options and what is derived from them once (keys, schedule). */
import type { KeyObject } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../core/clock.js';
import type { Db } from '../store/db.js';
import { privateKeyFromBase64, publicKeyFromBase64 } from '../connectors/antom/signing.js';

export interface SimulatorOptions {
  db: Db;
  /** Base for URLs handed to shoppers (cashier pages, QR links), e.g. http://localhost:4242. Read on every use, so a composition root that binds port 0 may set it after listening. */
  publicUrl: string;
  /** Merchants allowed to call: Client-Id → merchant public key (bare Base64 X.509 DER). */
  /** The merchants this Antom serves; `name` is what the wallet shows the shopper as the payee. */
  merchants: { clientId: string; merchantPublicKeyBase64: string; name: string }[];
  /** The simulator's own "Antom" private key (bare Base64 PKCS#8 DER): signs responses and notifications. */
  antomPrivateKeyBase64: string;
  /** Delays (ms after completion) of notifyPayment/notifyRefund attempts; Antom's: 0, 2 min, 10 min, 10 min, 1 h, 2 h, 6 h, 15 h. */
  notifyScheduleMs: number[];
  workerIntervalMs: number;
  /** Unpaid payments close after this (Antom default ~14 min). */
  paymentExpiryMs?: number;
  clock: Clock;
  log: FastifyBaseLogger;
}

/** Antom's documented retry schedule for notifications (docs/antom-protocol.md §5). */
export const ANTOM_NOTIFY_SCHEDULE_MS: readonly number[] = [0, 120_000, 600_000, 600_000, 3_600_000, 7_200_000, 21_600_000, 54_000_000];

export const DEFAULT_PAYMENT_EXPIRY_MS = 14 * 60_000;

export interface SimContext {
  opts: SimulatorOptions;
  db: Db;
  clock: Clock;
  log: FastifyBaseLogger;
  antomKey: KeyObject;
  merchantKeys: ReadonlyMap<string, KeyObject>;
  merchantNames: ReadonlyMap<string, string>;
  schedule: readonly number[];
  expiryMs: number;
}

export function createContext(opts: SimulatorOptions): SimContext {
  const merchantKeys = new Map<string, KeyObject>();
  for (const m of opts.merchants) merchantKeys.set(m.clientId, publicKeyFromBase64(m.merchantPublicKeyBase64));
  return {
    opts,
    db: opts.db,
    clock: opts.clock,
    log: opts.log,
    antomKey: privateKeyFromBase64(opts.antomPrivateKeyBase64),
    merchantKeys,
    merchantNames: new Map(opts.merchants.map((m) => [m.clientId, m.name])),
    // An empty schedule would mean "never send"; nobody wants that, so it means "once, now".
    schedule: opts.notifyScheduleMs.length > 0 ? opts.notifyScheduleMs : [0],
    expiryMs: opts.paymentExpiryMs ?? DEFAULT_PAYMENT_EXPIRY_MS,
  };
}

/** The public base URL without a trailing slash. */
export function publicBase(ctx: SimContext): string {
  return ctx.opts.publicUrl.replace(/\/+$/, '');
}
