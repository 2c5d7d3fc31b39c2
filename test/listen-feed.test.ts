/**
 * The event stream behind `opencashier listen`, against a stand-in for GET /v1/events whose
 * events become visible out of sequence order, as concurrent transactions on PostgreSQL commit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventFeed, type ApiEvent } from '../src/listen/feed.js';

/** GET /v1/events over `visible`, ordered by `seq`, with the gateway's cursor rules. */
async function fakeGateway() {
  const visible: (ApiEvent & { seq: number })[] = [];
  const cursors: string[] = [];
  const server = createServer((req, res) => {
    const u = new URL(req.url!, 'http://x');
    const limit = Number(u.searchParams.get('limit') ?? 10);
    const before = u.searchParams.get('ending_before');
    const after = u.searchParams.get('starting_after');
    const types = u.searchParams.getAll('types[]');
    cursors.push(before ?? after ?? '');
    const sorted = [...visible].sort((a, b) => a.seq - b.seq).filter((e) => types.length === 0 || types.includes(e.type));
    const at = (id: string) => visible.find((e) => e.id === id)!.seq;
    let page: typeof visible;
    let hasMore: boolean;
    if (before) {
      const newer = sorted.filter((e) => e.seq > at(before));
      page = newer.slice(0, limit).reverse();
      hasMore = newer.length > limit;
    } else {
      const older = sorted.filter((e) => !after || e.seq < at(after)).reverse();
      page = older.slice(0, limit);
      hasMore = older.length > limit;
    }
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({
      object: 'list', has_more: hasMore, data: page.map(({ seq: _seq, ...e }) => e),
    }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    cursors,
    add: (seq: number, created: number, type = 'payment_intent.created') => visible.push({ id: `evt_${seq}`, object: 'event', type, created, seq }),
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

const ids = (events: ApiEvent[]) => events.map((e) => e.id);

test('an event committed after a newer one was read is still returned, and the cursor moves on once events settle', async () => {
  const gw = await fakeGateway();
  const signal = new AbortController().signal;
  try {
    gw.add(0, 1_000);
    const feed = new EventFeed({ apiBase: gw.base, apiKey: 'sk_test_x', settleMs: 2_000 });
    await feed.start(signal);
    assert.deepEqual(await feed.next(signal), [], 'events from before the start are not returned');

    gw.add(1, 10_000);
    gw.add(3, 10_010); // seq 2 is drawn but its transaction has not committed yet
    assert.deepEqual(ids(await feed.next(signal)), ['evt_1', 'evt_3']);
    gw.add(2, 10_005);
    assert.deepEqual(ids(await feed.next(signal)), ['evt_2'], 'the late event is found, the others are not repeated');
    assert.deepEqual(await feed.next(signal), []);

    gw.add(4, 20_000);
    assert.deepEqual(ids(await feed.next(signal)), ['evt_4']);
    gw.cursors.length = 0;
    assert.deepEqual(await feed.next(signal), []);
    assert.deepEqual(gw.cursors, ['evt_3'], 'events older than the settle window are not read again');
  } finally {
    await gw.close();
  }
});

test('a burst larger than a page is returned whole, oldest first, following has_more', async () => {
  const gw = await fakeGateway();
  const signal = new AbortController().signal;
  try {
    const feed = new EventFeed({ apiBase: gw.base, apiKey: 'sk_test_x', types: ['charge.succeeded'] });
    await feed.start(signal); // no event at all yet: everything that comes is new
    for (let i = 1; i <= 250; i++) gw.add(i, 5_000 + i, i % 2 ? 'charge.succeeded' : 'payment_intent.created');
    const first = await feed.next(signal);
    assert.deepEqual(ids(first), Array.from({ length: 125 }, (_, i) => `evt_${2 * i + 1}`));
    for (let i = 251; i <= 520; i++) gw.add(i, 9_000 + i, 'charge.succeeded');
    const second = await feed.next(signal);
    assert.deepEqual(ids(second), Array.from({ length: 270 }, (_, i) => `evt_${251 + i}`));
    assert.deepEqual(await feed.next(signal), []);
  } finally {
    await gw.close();
  }
});
