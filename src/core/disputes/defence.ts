/**
 * The defence Antom receives (supplyDefenseDocument, antom.md §9b): ONE document, Base64, of at
 * most 1,000,000 characters. Antom's downloadDisputeEvidence describes such a document as a Word
 * or PDF file, and takes no separate attachments, so the evidence becomes one PDF composed here:
 * a first part with every text field and a list of the files, then each file in turn — a PDF's own
 * pages, an image on a page of its own, scaled to fit A4. The text is also attached to the PDF,
 * exactly, as `evidence.txt` (UTF-8): the standard PDF font draws Latin-1 only, and shows other
 * characters as `?` on the page. A document over Antom's limit is refused here, before anything is
 * sent or saved.
 */
import { PageSizes, PDFDocument, PDFPage, StandardFonts, type PDFFont } from 'pdf-lib';
import { fail, invalid, ok, type Result } from '../errors.js';
import type { CoreDeps } from '../context.js';
import { EVIDENCE_FILE_FIELDS, type DisputeRecord, type EvidenceField, type EvidenceFileField } from '../model.js';
import type { Scope } from '../store.js';
import type { FileRecord } from '../files/file.js';

/** Antom's limit on disputeEvidence, in Base64 characters. */
export const DEFENSE_DOCUMENT_MAX_CHARS = 1_000_000;

const isFileField = (f: string): f is EvidenceFileField => (EVIDENCE_FILE_FIELDS as readonly string[]).includes(f);

/** The file fields the evidence sets, in Stripe's order. */
export function evidenceFiles(evidence: DisputeRecord['evidence']): [EvidenceFileField, string][] {
  return EVIDENCE_FILE_FIELDS.filter((f) => evidence[f]).map((f) => [f, evidence[f]!]);
}

/** The refusal of a file id in `evidence[field]` that names no dispute evidence of this account and mode. */
export function noSuchEvidenceFile(field: EvidenceField, id: string) {
  return invalid('resource_missing',
    `No such file: '${id}'. evidence[${field}] takes the id of a file uploaded with purpose dispute_evidence (POST /v1/files) in this account and mode.`,
    `evidence[${field}]`);
}

function header(d: DisputeRecord): string {
  return `Defence for dispute ${d.id} (Antom ${d.upstream_dispute_id}) of charge ${d.charge_id}`;
}

/** Each text field on its own lines (file fields are listed by the PDF's own index). */
function textLines(d: DisputeRecord): string[] {
  const lines = [header(d), ''];
  for (const [field, text] of Object.entries(d.evidence)) if (text && !isFileField(field)) lines.push(`${field}:`, text, '');
  return lines;
}

function tooLarge(chars: number): Result<never> {
  return fail(invalid('parameter_invalid',
    `The defence would be ${chars} characters of Base64, and Antom takes at most ${DEFENSE_DOCUMENT_MAX_CHARS} (about 730 KiB of files and text). Attach smaller or fewer files; nothing was sent or saved.`,
    'evidence'));
}

/** The document supplyDefenseDocument sends for `d`'s evidence, Base64; refused when a file is missing or it is too large. */
export async function defenceDocument(deps: CoreDeps, scope: Scope, d: DisputeRecord): Promise<Result<string>> {
  const loaded: { field: EvidenceFileField; file: FileRecord; bytes: Uint8Array }[] = [];
  for (const [field, id] of evidenceFiles(d.evidence)) {
    const found = await deps.store.files.contents(scope, id);
    if (!found || found.file.purpose !== 'dispute_evidence') return fail(noSuchEvidenceFile(field, id));
    // pdf-lib's JPEG reader reads `bytes.buffer` from its start (it ignores byteOffset), and a store's
    // bytes may be a view into a larger buffer (Node 24 pools Buffer.from(hex) as pg decodes bytea):
    // each file gets a buffer of its own.
    loaded.push({ field, file: found.file, bytes: new Uint8Array(found.bytes) });
  }
  const composed = await composePdf(d, loaded, deps.clock.now());
  if (!composed.ok) return composed;
  const bytes = composed.value;
  const chars = 4 * Math.ceil(bytes.length / 3);
  if (chars > DEFENSE_DOCUMENT_MAX_CHARS) return tooLarge(chars);
  return ok(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'));
}

const [PAGE_W, PAGE_H] = PageSizes.A4;
const MARGIN = 50;
const SIZE = 10;
const LEADING = 14;

/** What the standard font can draw (WinAnsi, roughly Latin-1); anything else is shown as `?`. */
const drawable = (s: string) => s.replace(/\t/g, '    ').replace(/[^\x20-\x7e\xa0-\xff]/g, '?');

/** Lines of at most the page's width. */
function wrap(text: string, font: PDFFont): string[] {
  const max = PAGE_W - 2 * MARGIN;
  const width = (s: string) => font.widthOfTextAtSize(s, SIZE);
  const out: string[] = [];
  for (const raw of text.split(/\r\n|\r|\n/)) {
    let line = '';
    for (const word of drawable(raw).split(' ')) {
      const next = line ? `${line} ${word}` : word;
      if (width(next) <= max) {
        line = next;
        continue;
      }
      if (line) out.push(line);
      line = '';
      let rest = word;
      while (width(rest) > max) {
        let n = rest.length;
        while (n > 1 && width(rest.slice(0, n)) > max) n--;
        out.push(rest.slice(0, n));
        rest = rest.slice(n);
      }
      line = rest;
    }
    out.push(line);
  }
  return out;
}

async function composePdf(
  d: DisputeRecord, files: { field: EvidenceFileField; file: FileRecord; bytes: Uint8Array }[], now: number,
): Promise<Result<Uint8Array>> {
  const doc = await PDFDocument.create();
  const when = new Date(now);
  doc.setTitle(header(d));
  doc.setCreator('OpenCashier');
  doc.setProducer('OpenCashier');
  doc.setCreationDate(when);
  doc.setModificationDate(when);
  // Each file's pages, first, so the first part can say where each one is.
  const parts: { field: EvidenceFileField; file: FileRecord; pages: PDFPage[] }[] = [];
  for (const { field, file, bytes } of files) {
    const pages: PDFPage[] = [];
    if (file.type === 'pdf') {
      try {
        // A PDF of the merchant's is untrusted input: whatever pdf-lib cannot read is refused, not thrown.
        const src = await PDFDocument.load(bytes, { updateMetadata: false });
        pages.push(...(await doc.copyPages(src, src.getPageIndices())));
      } catch (err) {
        const why = (err as Error).name === 'EncryptedPDFError' ? 'it is encrypted' : 'it cannot be read as a PDF';
        return fail(invalid('parameter_invalid', `The file ${file.id} in evidence[${field}] cannot go into the defence: ${why}. Upload it again as a plain PDF, PNG or JPEG.`, `evidence[${field}]`));
      }
    } else {
      let image;
      try {
        image = file.type === 'png' ? await doc.embedPng(bytes) : await doc.embedJpg(bytes);
      } catch {
        return fail(invalid('parameter_invalid', `The file ${file.id} in evidence[${field}] cannot go into the defence: it cannot be read as a ${file.type.toUpperCase()} image.`, `evidence[${field}]`));
      }
      const page = PDFPage.create(doc);
      page.setSize(PAGE_W, PAGE_H);
      const fit = image.scaleToFit(PAGE_W - 2 * MARGIN, PAGE_H - 2 * MARGIN);
      page.drawImage(image, { x: (PAGE_W - fit.width) / 2, y: PAGE_H - MARGIN - fit.height, width: fit.width, height: fit.height });
      pages.push(page);
    }
    parts.push({ field, file, pages });
  }
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const text = textLines(d);
  const lines = [...text.flatMap((l) => wrap(l, font)), ...(parts.length ? ['Files (each follows, in this order):'] : [])];
  // The first part's length decides where the files begin: count its pages before numbering them.
  const perPage = Math.floor((PAGE_H - 2 * MARGIN) / LEADING);
  const listed = parts.map((p) => `${p.field}: ${p.file.id} (${p.file.filename ?? 'no name'}, ${p.file.type.toUpperCase()}, ${p.file.size} bytes)`);
  const listLines = listed.reduce((n, l) => n + wrap(`${l}: pages 99999-99999`, font).length, 0);
  const firstPages = Math.ceil((lines.length + listLines) / perPage);
  let at = firstPages + 1;
  for (const [i, p] of parts.entries()) {
    const n = p.pages.length;
    lines.push(...wrap(`${listed[i]}: page${n > 1 ? 's' : ''} ${at}${n > 1 ? `-${at + n - 1}` : ''}`, font));
    at += n;
  }
  for (let i = 0; i < lines.length; i += perPage) {
    const page = doc.addPage([PAGE_W, PAGE_H]);
    lines.slice(i, i + perPage).forEach((l, j) => page.drawText(l, { x: MARGIN, y: PAGE_H - MARGIN - (j + 1) * LEADING, size: SIZE, font }));
  }
  for (const p of parts) for (const page of p.pages) doc.addPage(page);
  await doc.attach(Buffer.from(text.join('\n'), 'utf8'), 'evidence.txt', {
    mimeType: 'text/plain', description: 'The evidence text, exactly (UTF-8)', creationDate: when, modificationDate: when,
  });
  return ok(await doc.save());
}
