/**
 * Evidence files (issue 13): POST /v1/files takes a multipart upload of dispute evidence, reads its
 * type from its bytes and keeps the bytes in the store; GET /v1/files/:id, GET /v1/files and GET
 * /v1/files/:id/contents read it back byte for byte; the official stripe SDK uploads through it;
 * and a dispute's evidence takes the file ids, which submit=true sends to Antom in one document.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import Stripe from 'stripe';
import { PDFDocument } from 'pdf-lib';
import { eventually, startGateway, stores, type TestGateway } from '../helpers/gateway.js';
import { SEED_000_WEB } from '../helpers/seeds.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/', import.meta.url));
const STRIPE_FILE_TYPES = fileURLToPath(new URL('../../../node_modules/stripe/esm/resources/Files.d.ts', import.meta.url));
const JPG = readFileSync(`${FIXTURES}evidence.jpg`);
const PNG = readFileSync(`${FIXTURES}evidence.png`);

/** A real PDF of `pages` pages, each saying `text`. */
export async function makePdf(text: string, pages = 1): Promise<Buffer> {
  const doc = await PDFDocument.create();
  for (let i = 0; i < pages; i++) doc.addPage([300, 200]).drawText(`${text} (${i + 1})`, { x: 20, y: 100, size: 12 });
  return Buffer.from(await doc.save());
}

/** A multipart/form-data upload as a browser or curl sends it. */
export async function upload(g: TestGateway, fields: Record<string, string>, file?: { data: Uint8Array; name?: string; type?: string }, headers: Record<string, string> = {}) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  if (file) form.append('file', new Blob([file.data], { type: file.type ?? 'application/octet-stream' }), file.name ?? 'evidence');
  const res = await fetch(`${g.url}/v1/files`, { method: 'POST', headers: { Authorization: `Bearer ${g.secretKey}`, ...headers }, body: form });
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
}

/** A paid PaymentIntent that the buyer disputes in the simulator, and the gateway's dispute of it once Antom has told it. */
async function disputed(g: TestGateway): Promise<{ dispute: any; upstream: string }> {
  const pi = (await g.api('POST', '/v1/payment_intents', { ...SEED_000_WEB, amount: 800, currency: 'CNY' })).body;
  assert.equal((await g.complete(pi.next_action.redirect_to_url.url, 'succeeded')).status, 200);
  await eventually(async () => (await g.api('GET', `/v1/payment_intents/${pi.id}`)).body.status === 'succeeded');
  const opened = await fetch(`${g.url}/simulator/v1/disputes`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ payment_intent: pi.id, reason: 'Goods not received' }),
  }).then((r) => r.json()) as { dispute_id: string };
  const dispute = await eventually(async () => (await g.api('GET', `/v1/disputes?payment_intent=${pi.id}`)).body.data?.[0]);
  return { dispute, upstream: opened.dispute_id };
}

async function simDispute(g: TestGateway, upstream: string): Promise<any> {
  return (await fetch(`${g.url}/simulator/v1/disputes/${upstream}`)).json();
}

async function fileCount(g: TestGateway): Promise<number> {
  return Number((await g.gateway.db.query<{ n: string }>('SELECT count(*)::text AS n FROM files'))[0]!.n);
}

async function contents(g: TestGateway, id: string, key = g.secretKey) {
  const res = await fetch(`${g.url}/v1/files/${id}/contents`, { headers: { Authorization: `Bearer ${key}` } });
  return { status: res.status, type: res.headers.get('content-type'), bytes: Buffer.from(await res.arrayBuffer()) };
}

for (const { kind, skip } of await stores()) {
  describe(`files [${kind}]`, { skip }, () => {
    let g: TestGateway & { schema?: string };
    before(async () => {
      g = await startGateway({ store: kind });
    });
    after(async () => g?.stop());

    test('a PDF, a PNG and a JPEG are each stored with their type read from the bytes, and read back byte for byte', async () => {
      const pdf = await makePdf('Proof of delivery');
      const cases = [
        { data: pdf, name: 'delivery.pdf', type: 'pdf', mime: 'application/pdf' },
        // Sent with a misleading Content-Type: the bytes decide.
        { data: PNG, name: 'photo.png', type: 'png', mime: 'image/png', sentAs: 'application/pdf' },
        { data: JPG, name: 'receipt.jpg', type: 'jpg', mime: 'image/jpeg' },
      ];
      for (const c of cases) {
        const res = await upload(g, { purpose: 'dispute_evidence' }, { data: c.data, name: c.name, type: c.sentAs ?? c.mime });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        const f = res.body;
        assert.match(f.id, /^file_/);
        assert.equal(f.object, 'file');
        assert.equal(f.purpose, 'dispute_evidence');
        assert.equal(f.type, c.type);
        assert.equal(f.size, c.data.length);
        assert.equal(f.filename, c.name);
        assert.equal(f.title, null);
        assert.equal(f.expires_at, null);
        assert.equal(f.url, `${g.url}/v1/files/${f.id}/contents`);
        assert.deepEqual(f.links, { object: 'list', data: [], has_more: false, url: `/v1/file_links?file=${f.id}` });
        assert.ok(Math.abs(f.created - Date.now()) < 60_000, 'created in milliseconds in the guides\' dialect');

        const got = await g.api('GET', `/v1/files/${f.id}`);
        assert.equal(got.status, 200);
        assert.deepEqual(got.body, f);
        const raw = await contents(g, f.id);
        assert.equal(raw.status, 200);
        assert.equal(raw.type, c.mime);
        assert.ok(raw.bytes.equals(c.data), `the ${c.type} comes back byte for byte`);
      }
      const list = await g.api('GET', '/v1/files?purpose=dispute_evidence&limit=2');
      assert.equal(list.status, 200);
      assert.equal(list.body.object, 'list');
      assert.equal(list.body.url, '/v1/files');
      assert.deepEqual(list.body.data.map((f: any) => f.type), ['jpg', 'png'], 'newest first');
      assert.equal(list.body.has_more, true);
      const next = await g.api('GET', `/v1/files?limit=2&starting_after=${list.body.data[1].id}`);
      assert.deepEqual(next.body.data.map((f: any) => f.type), ['pdf']);
      assert.equal(next.body.has_more, false);
      assert.equal((await g.api('GET', '/v1/files?purpose=identity_document')).body.data.length, 0);
      const stripeView = await g.api('GET', `/v1/files/${list.body.data[0].id}`, undefined, { headers: { 'Stripe-Version': '2023-08-16' } });
      assert.ok(stripeView.body.created < 1e11, 'seconds for a Stripe SDK');
      // Stripe's File as stripe-node declares it (the fixture of Stripe's schemas has no File): the same fields, no other.
      const declared = /export interface File \{([\s\S]*?)\n\}/.exec(readFileSync(STRIPE_FILE_TYPES, 'utf8'))![1]!;
      const fields = [...declared.matchAll(/^ {4}(\w+)\??:/gm)].map((m) => m[1]).sort();
      assert.deepEqual(Object.keys(stripeView.body).sort(), fields);
    });

    test('refusals store nothing: a wrong purpose, a text file sent as a PDF, 5 MB + 1 byte, no file, no purpose', async () => {
      const before = await fileCount(g);
      const pdf = await makePdf('x');
      const wrongPurpose = await upload(g, { purpose: 'identity_document' }, { data: pdf, name: 'a.pdf', type: 'application/pdf' });
      assert.equal(wrongPurpose.status, 400);
      assert.equal(wrongPurpose.body.error.param, 'purpose');
      assert.match(wrongPurpose.body.error.message, /must be dispute_evidence/);

      const disguised = await upload(g, { purpose: 'dispute_evidence' }, { data: Buffer.from('<html><script>alert(1)</script></html>'), name: 'a.pdf', type: 'application/pdf' });
      assert.equal(disguised.status, 400);
      assert.equal(disguised.body.error.param, 'file');
      assert.match(disguised.body.error.message, /PDF, PNG or JPEG/);

      // A PDF's bytes, one past the limit.
      const big = Buffer.alloc(5 * 1024 * 1024 + 1, 0x20);
      big.write('%PDF-1.4\n');
      const tooBig = await upload(g, { purpose: 'dispute_evidence' }, { data: big, name: 'big.pdf', type: 'application/pdf' });
      assert.equal(tooBig.status, 400, JSON.stringify(tooBig.body));
      assert.equal(tooBig.body.error.type, 'invalid_request_error');
      assert.equal(tooBig.body.error.param, 'file');
      assert.match(tooBig.body.error.message, /at most 5 MB \(5242880 bytes\)/);
      // Exactly 5 MB is taken (and removed again below from the count).
      const atLimit = await upload(g, { purpose: 'dispute_evidence' }, { data: big.subarray(0, 5 * 1024 * 1024), name: 'limit.pdf' });
      assert.equal(atLimit.status, 200, JSON.stringify(atLimit.body));
      assert.equal(atLimit.body.size, 5 * 1024 * 1024);
      // Far beyond: the body itself is refused before it is read whole.
      const huge = await upload(g, { purpose: 'dispute_evidence' }, { data: Buffer.alloc(7 * 1024 * 1024, 0x25), name: 'huge.pdf' });
      assert.equal(huge.status, 413);
      assert.match(huge.body.error.message, /at most 5 MB/);

      const noFile = await upload(g, { purpose: 'dispute_evidence' });
      assert.equal(noFile.status, 400);
      assert.equal(noFile.body.error.code, 'parameter_missing');
      assert.equal(noFile.body.error.param, 'file');
      const noPurpose = await upload(g, {}, { data: pdf });
      assert.equal(noPurpose.body.error.param, 'purpose');
      const json = await g.api('POST', '/v1/files', { purpose: 'dispute_evidence', file: 'JVBERi0=' });
      assert.equal(json.status, 400);
      assert.equal(json.body.error.param, 'file');
      assert.match(json.body.error.message, /multipart\/form-data/);
      const twoFiles = new FormData();
      twoFiles.append('purpose', 'dispute_evidence');
      twoFiles.append('file', new Blob([pdf]), 'a.pdf');
      twoFiles.append('file', new Blob([pdf]), 'b.pdf');
      const two = await fetch(`${g.url}/v1/files`, { method: 'POST', headers: { Authorization: `Bearer ${g.secretKey}` }, body: twoFiles });
      assert.equal(two.status, 400);
      const unknown = await upload(g, { purpose: 'dispute_evidence', colour: 'red' }, { data: pdf });
      assert.equal(unknown.status, 400);
      assert.equal(unknown.body.error.param, 'colour');
      // Multipart is the files route's alone.
      const elsewhere = await fetch(`${g.url}/v1/products`, { method: 'POST', headers: { Authorization: `Bearer ${g.secretKey}` }, body: twoFiles });
      assert.equal(elsewhere.status, 415);
      assert.equal(await fileCount(g), before + 1, 'only the 5 MB file was stored');
      await g.gateway.db.query('DELETE FROM files WHERE id = $1', [atLimit.body.id]);
    });

    test('broken multipart bodies and text the store cannot hold are 400s in Stripe\'s shape, and store nothing', async () => {
      const before = await fileCount(g);
      const send = async (body: string, type = 'multipart/form-data; boundary=b') => {
        const res = await fetch(`${g.url}/v1/files`, { method: 'POST', headers: { Authorization: `Bearer ${g.secretKey}`, 'Content-Type': type }, body });
        return { status: res.status, body: (await res.json()) as any };
      };
      const part = (name: string, value: string, filename?: string) =>
        `--b\r\nContent-Disposition: form-data; name="${name}"${filename === undefined ? '' : `; filename="${filename}"`}\r\n\r\n${value}\r\n`;
      const cases = [
        await send(part('purpose', 'dispute_evidence'), 'multipart/form-data'),
        await send(`${part('purpose', 'dispute_evidence')}--b\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n%PDF-1.4 cut`),
        await send('not multipart at all'),
      ];
      for (const c of cases) {
        assert.equal(c.status, 400, JSON.stringify(c.body));
        assert.equal(c.body.error.type, 'invalid_request_error');
      }
      const nul = await send(`${part('purpose', 'dispute\u0000evidence')}${part('file', '%PDF-1.4', 'a.pdf')}--b--\r\n`);
      assert.equal(nul.status, 400);
      assert.equal(nul.body.error.param, 'purpose');
      const nulName = await send(`${part('purpose', 'dispute_evidence')}${part('file', '%PDF-1.4', 'a\u0000.pdf')}--b--\r\n`);
      assert.equal(nulName.status, 400);
      assert.equal(nulName.body.error.param, 'file[filename]');
      const bracketed = await send(`${part('purpose', 'dispute_evidence')}${part('file_link_data[create]', 'true')}${part('file', '%PDF-1.4', 'a.pdf')}--b--\r\n`);
      assert.equal(bracketed.status, 400);
      assert.equal(bracketed.body.error.param, 'file_link_data', 'bracket names read as on every v1 route');
      // Every prefix of a good upload: a 400 each (a part cut short once crashed the process).
      const whole = `${part('purpose', 'dispute_evidence')}${part('file', '%PDF-1.4 fuzz', 'a.pdf')}--b--\r\n`;
      for (let cut = 0; cut < whole.length - 4; cut++) {
        const r = await send(whole.slice(0, cut));
        assert.equal(r.status, 400, `cut at ${cut}: ${JSON.stringify(r.body)}`);
      }
      assert.equal((await send(whole)).status, 200, 'the whole upload is taken');
      assert.equal(await fileCount(g), before + 1);
      await g.gateway.db.query("DELETE FROM files WHERE filename = 'a.pdf'");
    });

    test('Idempotency-Key: the same upload replays the first file, another file under the key is an idempotency_error', async () => {
      const pdf = await makePdf('idempotent');
      const first = await upload(g, { purpose: 'dispute_evidence' }, { data: pdf, name: 'i.pdf' }, { 'Idempotency-Key': 'file-upload-1' });
      assert.equal(first.status, 200);
      // FormData picks a new boundary each time: the request is the same all the same.
      const again = await upload(g, { purpose: 'dispute_evidence' }, { data: pdf, name: 'i.pdf' }, { 'Idempotency-Key': 'file-upload-1' });
      assert.equal(again.status, 200);
      assert.equal(again.headers.get('idempotent-replayed'), 'true');
      assert.equal(again.body.id, first.body.id);
      const other = await upload(g, { purpose: 'dispute_evidence' }, { data: PNG, name: 'i.pdf' }, { 'Idempotency-Key': 'file-upload-1' });
      assert.equal(other.status, 400);
      assert.equal(other.body.error.type, 'idempotency_error');
      const rows = await g.gateway.db.query('SELECT id FROM files WHERE filename = $1', ['i.pdf']);
      assert.equal(rows.length, 1);
    });

    test('unknown ids are 404s naming the file; a file of the other mode is not there', async () => {
      const unknown = await g.api('GET', '/v1/files/file_000');
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.error.code, 'resource_missing');
      assert.equal(unknown.body.error.param, 'file');
      assert.equal((await contents(g, 'file_000')).status, 404);
      const f = (await upload(g, { purpose: 'dispute_evidence' }, { data: PNG, name: 'mine.png' })).body;
      assert.equal((await g.api('GET', `/v1/files/${f.id}`)).status, 200);
      await g.gateway.db.query('UPDATE files SET livemode = true WHERE id = $1', [f.id]);
      assert.equal((await g.api('GET', `/v1/files/${f.id}`)).status, 404, 'a live-mode file is not a test-mode file');
      assert.equal((await contents(g, f.id)).status, 404);
      assert.ok(!(await g.api('GET', '/v1/files?limit=100')).body.data.some((x: any) => x.id === f.id));
    });

    // PGlite is one process's store: only PostgreSQL has another process to ask.
    if (kind === 'postgres') test('another gateway process on the same store serves the file byte for byte', async () => {
      const other = await startGateway({ store: kind, reuse: { schema: g.schema } });
      try {
        const f = (await upload(g, { purpose: 'dispute_evidence' }, { data: JPG, name: 'shared.jpg' })).body;
        const there = await contents(other, f.id);
        assert.equal(there.status, 200);
        assert.ok(there.bytes.equals(JPG));
        assert.equal((await other.api('GET', `/v1/files/${f.id}`)).body.filename, 'shared.jpg');
      } finally {
        // Its own data folder goes; the schema is the first gateway's, dropped when that one stops.
        await other.stop({ keepData: true });
        rmSync(other.dataDir, { recursive: true, force: true });
      }
    });

    test('the official stripe SDK uploads through the gateway: its host option also moves files.stripe.com', async () => {
      const port = Number(new URL(g.url).port);
      const stripe = new Stripe(g.secretKey, { host: '127.0.0.1', port, protocol: 'http', telemetry: false });
      const pdf = await makePdf('Signed delivery note');
      const f = await stripe.files.create({ purpose: 'dispute_evidence', file: { data: pdf, name: 'note.pdf', type: 'application/pdf' } });
      assert.match(f.id, /^file_/);
      assert.equal(f.type, 'pdf');
      assert.equal(f.size, pdf.length);
      assert.ok(f.created < 1e11, 'seconds');
      const back = await stripe.files.retrieve(f.id);
      assert.equal(back.id, f.id);
      const listed = await stripe.files.list({ purpose: 'dispute_evidence', limit: 1 });
      assert.equal(listed.data[0]!.id, f.id);
      assert.ok((await contents(g, f.id)).bytes.equals(pdf));
      await assert.rejects(stripe.files.create({ purpose: 'dispute_evidence', file: { data: Buffer.from('plain text'), name: 'x.pdf', type: 'application/pdf' } }),
        (err: any) => err.type === 'StripeInvalidRequestError' && err.param === 'file');
    });

    test('a dispute\'s evidence takes file ids of this account and mode; an unknown one, or one of the other mode, is a 400 naming the field that saves nothing', async () => {
      const { dispute } = await disputed(g);
      const receipt = (await upload(g, { purpose: 'dispute_evidence' }, { data: JPG, name: 'receipt.jpg' })).body;
      const saved = await g.api('POST', `/v1/disputes/${dispute.id}`, { evidence: { receipt: receipt.id, uncategorized_text: 'See the receipt.' } });
      assert.equal(saved.status, 200, JSON.stringify(saved.body));
      assert.equal(saved.body.evidence.receipt, receipt.id);
      assert.equal(saved.body.evidence.uncategorized_text, 'See the receipt.');
      assert.equal(saved.body.evidence_details.has_evidence, true);
      assert.equal(saved.body.status, 'needs_response', 'saved, not submitted');

      const events = async () => (await g.gateway.db.query('SELECT id FROM events WHERE object_id = $1', [dispute.id])).length;
      const eventsBefore = await events();
      const unknown = await g.api('POST', `/v1/disputes/${dispute.id}`, { evidence: { shipping_documentation: 'file_000000', uncategorized_text: 'changed' } });
      assert.equal(unknown.status, 400);
      assert.equal(unknown.body.error.code, 'resource_missing');
      assert.equal(unknown.body.error.param, 'evidence[shipping_documentation]');
      const other = (await upload(g, { purpose: 'dispute_evidence' }, { data: PNG, name: 'other.png' })).body;
      await g.gateway.db.query('UPDATE files SET livemode = true WHERE id = $1', [other.id]);
      const foreign = await g.api('POST', `/v1/disputes/${dispute.id}`, { evidence: { customer_signature: other.id }, submit: true });
      assert.equal(foreign.status, 400);
      assert.equal(foreign.body.error.param, 'evidence[customer_signature]');
      const form = await g.api('POST', `/v1/disputes/${dispute.id}`, `evidence[receipt]=${other.id}`, { form: true });
      assert.equal(form.body.error.param, 'evidence[receipt]');
      // Only a PDF's first bytes: stored (the type is right), but it cannot go into a defence.
      const broken = (await upload(g, { purpose: 'dispute_evidence' }, { data: Buffer.from('%PDF-1.4\n% nothing else\n'), name: 'broken.pdf' })).body;
      assert.equal(broken.type, 'pdf');
      const unreadable = await g.api('POST', `/v1/disputes/${dispute.id}`, { evidence: { refund_policy: broken.id }, submit: true });
      assert.equal(unreadable.status, 400);
      assert.equal(unreadable.body.error.param, 'evidence[refund_policy]');
      assert.match(unreadable.body.error.message, /cannot be read as a PDF/);
      const after = (await g.api('GET', `/v1/disputes/${dispute.id}`)).body;
      assert.equal(after.evidence.receipt, receipt.id);
      assert.equal(after.evidence.uncategorized_text, 'See the receipt.');
      assert.equal(after.evidence.shipping_documentation, null);
      assert.equal(after.evidence.refund_policy, null);
      assert.equal(after.evidence_details.submission_count, 0);
      assert.equal(await events(), eventsBefore, 'no event for a refused update');
    });

    test('submit=true sends one PDF the simulator decoded: the text first, then each file\'s pages; over Antom\'s 1,000,000 characters is a 400 before anything is sent', async () => {
      const { dispute, upstream } = await disputed(g);
      const letter = await makePdf('Letter to the issuer', 2);
      const files = {
        receipt: (await upload(g, { purpose: 'dispute_evidence' }, { data: JPG, name: 'receipt.jpg' })).body.id,
        shipping_documentation: (await upload(g, { purpose: 'dispute_evidence' }, { data: letter, name: 'letter.pdf' })).body.id,
        customer_communication: (await upload(g, { purpose: 'dispute_evidence' }, { data: PNG, name: 'chat.png' })).body.id,
      };
      const res = await g.api('POST', `/v1/disputes/${dispute.id}`, { evidence: { ...files, product_description: '红茶 tea, 250 g', shipping_tracking_number: 'SF123456' }, submit: true });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.status, 'under_review');
      assert.equal(res.body.evidence_details.submission_count, 1);
      const sim = await simDispute(g, upstream);
      assert.equal(sim.defense_document_format, 'PDF');
      assert.ok(sim.defense_document_base64.length <= 1_000_000);
      const pdf = await PDFDocument.load(Buffer.from(sim.defense_document_base64, 'base64'));
      // The evidence (one page), then the files in Stripe's order of fields: customer_communication (PNG),
      // receipt (JPEG), shipping_documentation (2 pages).
      assert.equal(pdf.getPageCount(), 1 + 1 + 1 + 2);
      assert.equal(pdf.getTitle(), `Defence for dispute ${dispute.id} (Antom ${upstream}) of charge ${dispute.charge}`);
      const [w, h] = [pdf.getPage(3).getWidth(), pdf.getPage(3).getHeight()];
      assert.deepEqual([w, h], [300, 200], 'the letter\'s own pages, as they were');
      const raw = Buffer.from(sim.defense_document_base64, 'base64').toString('latin1');
      // The exact text, attached as evidence.txt (the page shows what the standard font can draw), as the simulator read it.
      assert.match(sim.defense_document, /product_description:\n红茶 tea, 250 g/);
      assert.match(sim.defense_document, /shipping_tracking_number:\nSF123456/);
      assert.equal((raw.match(/\/Subtype \/Image/g) ?? []).length, 2, 'the PNG and the JPEG are in it');

      // Too large for Antom: refused before anything is saved or sent.
      const { dispute: big, upstream: bigUpstream } = await disputed(g);
      // A JPEG with 800 KB of noise after its end: embedded as it is, so the PDF cannot be smaller.
      const heavyFile = (await upload(g, { purpose: 'dispute_evidence' }, { data: Buffer.concat([JPG, randomBytes(800_000)]), name: 'heavy.jpg' })).body;
      assert.equal(heavyFile.type, 'jpg');
      const refused = await g.api('POST', `/v1/disputes/${big.id}`, { evidence: { uncategorized_file: heavyFile.id }, submit: true });
      assert.equal(refused.status, 400, JSON.stringify(refused.body));
      assert.equal(refused.body.error.param, 'evidence');
      assert.match(refused.body.error.message, /at most 1000000/);
      const unchanged = (await g.api('GET', `/v1/disputes/${big.id}`)).body;
      assert.equal(unchanged.evidence.uncategorized_file, null, 'nothing saved');
      assert.equal(unchanged.evidence_details.submission_count, 0);
      assert.equal((await simDispute(g, bigUpstream)).defense_document, null, 'nothing sent');
      // Saved without submit, it is kept: the limit is Antom's, on what is sent.
      assert.equal((await g.api('POST', `/v1/disputes/${big.id}`, { evidence: { uncategorized_file: heavyFile.id } })).status, 200);
    });

    test('the simulator checks the document it receives: a PDF cut short and Base64 that does not decode exactly are refused', async () => {
      const { upstream } = await disputed(g);
      const connector = g.gateway.core.connector(false)!;
      const whole = await makePdf('whole');
      const cut = await connector.supplyDefenseDocument(upstream, whole.subarray(0, whole.length - 40).toString('base64'));
      assert.equal(cut.status, 'refused');
      assert.equal((cut as { code: string }).code, 'PARAM_ILLEGAL');
      assert.match((cut as { message: string }).message, /%%EOF/);
      const sloppy = await connector.supplyDefenseDocument(upstream, 'QQ=');
      assert.equal(sloppy.status, 'refused');
      assert.equal((await simDispute(g, upstream)).defense_document, null);
      const fine = await connector.supplyDefenseDocument(upstream, whole.toString('base64'));
      assert.equal(fine.status, 'supplied');
      const sim = await simDispute(g, upstream);
      assert.equal(sim.defense_document_format, 'PDF');
      assert.equal(sim.defense_document_bytes, whole.length);
    });
  });
}
