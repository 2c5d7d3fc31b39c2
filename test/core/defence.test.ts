/**
 * The defence document (core/disputes/defence.ts) from the bytes a store hands back, whatever view
 * of memory they are: pg on Node 24 decodes a bytea into a slice of a pooled buffer, and pdf-lib's
 * JPEG reader ignores a view's offset (CI caught it: "cannot be read as a JPG image").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PDFDocument } from 'pdf-lib';
import { defenceDocument } from '../../src/core/disputes/defence.js';
import type { CoreDeps } from '../../src/core/context.js';
import type { DisputeRecord } from '../../src/core/model.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/', import.meta.url));

/** `bytes` copied into the middle of a larger buffer: a view with an offset, as a pool gives. */
function pooled(bytes: Uint8Array): Uint8Array {
  const pool = new Uint8Array(bytes.length + 8192);
  pool.fill(0xff);
  pool.set(bytes, 4096);
  return pool.subarray(4096, 4096 + bytes.length);
}

test('a JPEG and a PNG handed back as views into a larger buffer go into the defence', async () => {
  const files: Record<string, { type: 'jpg' | 'png'; bytes: Uint8Array }> = {
    file_jpg: { type: 'jpg', bytes: pooled(readFileSync(`${FIXTURES}evidence.jpg`)) },
    file_png: { type: 'png', bytes: pooled(readFileSync(`${FIXTURES}evidence.png`)) },
  };
  const deps = {
    clock: { now: () => Date.UTC(2026, 10, 30) },
    store: {
      files: {
        contents: async (_scope: unknown, id: string) => files[id] && {
          file: { id, type: files[id]!.type, purpose: 'dispute_evidence', filename: `${id}.${files[id]!.type}`, size: files[id]!.bytes.length },
          bytes: files[id]!.bytes,
        },
      },
    },
  } as unknown as CoreDeps;
  const evidence = { receipt: 'file_jpg', customer_communication: 'file_png', uncategorized_text: 'See the receipt.' };
  const dispute = { id: 'dp_1', upstream_dispute_id: 'u1', charge_id: 'ch_1', evidence } as unknown as DisputeRecord;
  const doc = await defenceDocument(deps, { account: 'acct_1', livemode: false } as never, dispute);
  assert.ok(doc.ok, JSON.stringify(doc));
  const pdf = await PDFDocument.load(Buffer.from(doc.value, 'base64'));
  assert.equal(pdf.getPageCount(), 3, 'the text, then each image on its own page');
});
