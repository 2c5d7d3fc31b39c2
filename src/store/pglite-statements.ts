/**
 * PGlite's statements, prepared once per SQL text and run in one call each.
 *
 * PGlite's own `query()` makes six calls into its WebAssembly for one statement (Parse, Describe,
 * Bind, Describe, Execute, Sync) and parses, analyses and plans the text every time. Measured on
 * this project's tables, a `SELECT *` of one PaymentIntent by id costs 358 µs that way and 88 µs
 * here; a PaymentIntent INSERT 369 µs and 240 µs. Here:
 * - the first run of a text prepares it unnamed and describes it (its parameter and column types),
 *   in one call; the second prepares it under a name, kept for the runs after;
 * - every run binds the values, executes and syncs, in one call;
 * - PostgreSQL keeps the plan: a generic one once it costs no more than the custom ones.
 *
 * What the wire says is parsed by PGlite's own protocol parser and value parsers, so rows and
 * errors look as they do from `query()`. Statements that are not plain DML (DDL in migrations) go
 * through `query()`. The calls are made inside PGlite's own locks, so a statement outside a
 * transaction waits for an open transaction to end, as it does with `query()`.
 */
import { protocol, type PGlite } from '@electric-sql/pglite';

type Row = Record<string, unknown>;

interface Prepared {
  name: string;
  paramTypes: number[];
  fields: { name: string; dataTypeID: number }[];
}

/** Prepared statements kept at once; the least recently used is closed beyond this. */
const MAX_PREPARED = 400;

/**
 * Texts run once are remembered (by a hash) up to this many; a text is kept prepared only when it
 * comes again. Group commits make one-off texts (one per mix of transactions, thousands of
 * parameters each), and each plan kept lives in PGlite's memory, which never shrinks: keeping
 * them all cost ~140 MB of it in a minute of confirms.
 */
const MAX_SEEN = 4000;

/** FNV-1a over the UTF-16 units: which texts were seen before (a collision only keeps one more). */
function textHash(sql: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < sql.length; i++) h = Math.imul(h ^ sql.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Texts worth preparing: data statements, which the program runs again and again. */
export const PREPARABLE = /^\s*(?:SELECT|INSERT|UPDATE|DELETE|WITH)\b/i;

/** PostgreSQL's "cached plan must not change result type": the table changed under a prepared `SELECT *`. */
const PLAN_CHANGED = '0A000';

export class PgliteStatements {
  private readonly prepared = new Map<string, Prepared>();
  private readonly seen = new Set<number>();
  private next = 0;
  /** Names to close with the next call (evicted from {@link prepared}). */
  private closing: string[] = [];

  constructor(
    private readonly pg: PGlite,
    private readonly maxPrepared = MAX_PREPARED,
  ) {}

  /** How many texts are prepared now (tests). */
  get size(): number {
    return this.prepared.size;
  }

  /** A statement outside any transaction: waits for an open one to end, and syncs the files after. */
  async query(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    if (!PREPARABLE.test(sql)) return (await this.pg.query<Row>(sql, params as unknown[])).rows;
    return this.pg._runExclusiveTransaction(() => this.pg._runExclusiveQuery(async () => {
      const rows = await this.run(sql, params, true);
      await this.pg.syncToFs();
      return rows;
    }));
  }

  /** A statement inside the transaction the caller holds (PGlite's `transaction()`). */
  async inTx(t: { query: PGlite['query'] }, sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    if (!PREPARABLE.test(sql)) return (await t.query<Row>(sql, params as unknown[])).rows;
    return this.pg._runExclusiveQuery(() => this.run(sql, params, false));
  }

  /**
   * A stale plan is prepared afresh; outside a transaction the statement then runs again, inside
   * one the error has aborted it, so it fails once and the next one prepares afresh.
   */
  private async run(sql: string, params: readonly unknown[], again: boolean): Promise<Row[]> {
    try {
      return await this.execute(await this.prepare(sql), params);
    } catch (err) {
      if ((err as { code?: string }).code !== PLAN_CHANGED) throw err;
      this.forget(sql);
      if (!again) throw err;
      return this.execute(await this.prepare(sql), params);
    }
  }

  private async prepare(sql: string): Promise<Prepared> {
    const found = this.prepared.get(sql);
    if (found) {
      // Most recently used last, so eviction takes the oldest.
      this.prepared.delete(sql);
      this.prepared.set(sql, found);
      return found;
    }
    // The first run of a text uses the unnamed statement, which the next one replaces.
    const h = textHash(sql);
    const keep = this.seen.delete(h);
    if (!keep) {
      this.seen.add(h);
      if (this.seen.size > MAX_SEEN) this.seen.delete(this.seen.values().next().value!);
    }
    const name = keep ? `oc_${this.next++}` : '';
    const S = protocol.serialize;
    const messages = await this.call([S.parse({ name, text: sql }), S.describe({ type: 'S', name })]);
    const description = messages.find((m) => m.name === 'parameterDescription') as { dataTypeIDs: number[] } | undefined;
    const rows = messages.find((m) => m.name === 'rowDescription') as { fields: Prepared['fields'] } | undefined;
    const p: Prepared = {
      name,
      paramTypes: description?.dataTypeIDs ?? [],
      fields: (rows?.fields ?? []).map((f) => ({ name: f.name, dataTypeID: f.dataTypeID })),
    };
    if (!keep) return p;
    this.prepared.set(sql, p);
    if (this.prepared.size > this.maxPrepared) this.forget(this.prepared.keys().next().value!);
    return p;
  }

  private forget(sql: string): void {
    const p = this.prepared.get(sql);
    if (!p) return;
    this.prepared.delete(sql);
    this.closing.push(p.name);
  }

  private async execute(p: Prepared, params: readonly unknown[]): Promise<Row[]> {
    if (params.length !== p.paramTypes.length) {
      throw Object.assign(new Error(`bind message supplies ${params.length} parameters, but prepared statement requires ${p.paramTypes.length}`), { code: '08P01' });
    }
    const values = params.map((v, i) => {
      if (v === null || v === undefined) return null;
      const serialize = this.pg.serializers[p.paramTypes[i]!];
      return serialize ? serialize(v) : String(v);
    });
    const S = protocol.serialize;
    const messages = await this.call([S.bind({ statement: p.name, values }), S.execute({})]);
    const rows: Row[] = [];
    for (const m of messages) {
      if (m.name !== 'dataRow') continue;
      const row: Row = {};
      (m as unknown as { fields: (string | null)[] }).fields.forEach((text, i) => {
        const f = p.fields[i]!;
        const parse = this.pg.parsers[f.dataTypeID];
        row[f.name] = text === null ? null : parse ? parse(text, f.dataTypeID) : text;
      });
      rows.push(row);
    }
    return rows;
  }

  /** One call into PGlite: the messages, any pending closes, then Sync. Throws the statement's error. */
  private async call(parts: Uint8Array[]): Promise<{ name: string }[]> {
    const S = protocol.serialize;
    const closes = this.closing.map((name) => S.close({ type: 'S', name }));
    this.closing = [];
    const all = [...closes, ...parts, S.sync()];
    const buffer = new Uint8Array(all.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of all) {
      buffer.set(p, at);
      at += p.length;
    }
    const bytes = await this.pg.execProtocolRaw(buffer, { syncToFs: false });
    const messages: { name: string }[] = [];
    new protocol.Parser().parse(bytes, (m) => messages.push(m as { name: string }));
    const error = messages.find((m) => m.name === 'error');
    if (error) throw error;
    return messages;
  }
}
