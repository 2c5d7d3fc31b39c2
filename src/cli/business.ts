/**
 * `opencashier business …`: the account's business profile (a merchant category code, a category
 * name, or both), shown, set, and checked against Alipay's prohibited-business list
 * (core/catalog/prohibited-businesses.ts). A refusal is one line on stderr and exit code 2.
 */
import { parseArgs } from 'node:util';
import type { Queryable } from '../store/db.js';
import { businessProfile, BusinessProfileError, setBusinessProfile } from '../store/accounts.js';
import {
  describeProfile, PROHIBITED_BUSINESSES, PROHIBITED_BUSINESSES_SOURCE, prohibitedMessage, type BusinessProfile,
} from '../core/catalog/prohibited-businesses.js';

export interface BusinessIo {
  db: Queryable;
  accountId: string;
  out(text: string): void;
  err(text: string): void;
}

const USAGE = `Usage: opencashier business                      show the business profile
       opencashier business set [--mcc <4 digits>] [--category <name>]   ('' clears a part)
       opencashier business list-prohibited      Alipay's prohibited categories, as this gateway keeps them`;

function show(io: BusinessIo, p: BusinessProfile): void {
  io.out(`Business: ${describeProfile(p)}\n`);
  const refused = prohibitedMessage(p);
  io.out(refused ? `WARNING: ${refused}\n` : 'Alipay and Alipay+ may be used: the business is not on the prohibited list this gateway keeps.\n');
}

export async function runBusiness(argv: string[], io: BusinessIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined) {
    show(io, await businessProfile(io.db, io.accountId));
    return 0;
  }
  if (sub === 'list-prohibited') {
    for (const b of PROHIBITED_BUSINESSES) io.out(`${b.id.padEnd(32)} ${b.mccs.length ? `MCC ${b.mccs.join(', ')}  ` : ''}${b.name}\n`);
    io.out(`\nAlipay's rule: ${PROHIBITED_BUSINESSES_SOURCE.rule}\nThe list as an Alipay acquirer publishes it: ${PROHIBITED_BUSINESSES_SOURCE.list} (read ${PROHIBITED_BUSINESSES_SOURCE.read}; the MCCs are this gateway's mapping).\n`);
    return 0;
  }
  if (sub !== 'set') {
    io.err(`Unknown business command: ${sub}\n\n${USAGE}\n`);
    return 2;
  }
  let values: { mcc?: string; category?: string };
  try {
    ({ values } = parseArgs({ args: rest, options: { mcc: { type: 'string' }, category: { type: 'string' } }, strict: true, allowPositionals: false }));
  } catch (err) {
    io.err(`${(err as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (values.mcc === undefined && values.category === undefined) {
    io.err(`Say what to set: --mcc, --category, or both.\n\n${USAGE}\n`);
    return 2;
  }
  try {
    const p = await setBusinessProfile(io.db, io.accountId, values);
    io.out('Business profile saved; it holds for the next payment in every gateway process.\n');
    show(io, p);
    return 0;
  } catch (err) {
    if (err instanceof BusinessProfileError) {
      io.err(`${err.message}\n`);
      return 2;
    }
    throw err;
  }
}
