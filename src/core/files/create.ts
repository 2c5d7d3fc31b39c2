/**
 * Upload a file (Stripe's `POST /v1/files`). Everything is checked before anything is written:
 * the purpose, that there is a file, its size, and its type as its bytes tell it (a PNG sent as
 * `application/pdf` is a PNG; a text file sent as `application/pdf` is refused). The bytes are
 * kept in the store, so every gateway process serves them.
 */
import { createHash } from 'node:crypto';
import { fail, invalid, ok, type Result } from '../errors.js';
import type { CoreDeps, RequestContext } from '../context.js';
import { newId } from '../ids.js';
import { ACCEPTED_TYPES_TEXT, detectFileType, FILE_PURPOSES, MAX_FILE_BYTES, type FilePurpose, type FileRecord } from './file.js';

/** A file part as the front door read it. */
export interface UploadedFile {
  filename: string | null;
  bytes: Uint8Array;
  /** The part was longer than the front door read (over {@link MAX_FILE_BYTES}). */
  truncated: boolean;
}

export interface CreateFileParams {
  purpose: string | undefined;
  file: UploadedFile | undefined;
}

export const FILE_TOO_LARGE = `The file is too large: a file for dispute_evidence may be at most 5 MB (${MAX_FILE_BYTES} bytes).`;

export async function createFile(deps: CoreDeps, ctx: RequestContext, p: CreateFileParams): Promise<Result<FileRecord>> {
  if (p.purpose === undefined) return fail(invalid('parameter_missing', 'Missing required param: purpose (dispute_evidence).', 'purpose'));
  if (!(FILE_PURPOSES as readonly string[]).includes(p.purpose)) {
    return fail(invalid('parameter_invalid', `Invalid purpose: must be ${FILE_PURPOSES.join(', ')} (the only purpose OpenCashier takes files for).`, 'purpose'));
  }
  const f = p.file;
  if (!f) return fail(invalid('parameter_missing', 'Missing required param: file. Send it as the multipart/form-data part named "file".', 'file'));
  if (f.truncated || f.bytes.length > MAX_FILE_BYTES) return fail(invalid('parameter_invalid', FILE_TOO_LARGE, 'file'));
  if (f.bytes.length === 0) return fail(invalid('parameter_invalid', 'The file is empty.', 'file'));
  const type = detectFileType(f.bytes);
  if (!type) {
    return fail(invalid('parameter_invalid',
      `The file is not a ${ACCEPTED_TYPES_TEXT} file (its contents were checked, not its name or Content-Type): dispute evidence must be ${ACCEPTED_TYPES_TEXT}.`, 'file'));
  }
  const record: FileRecord = {
    id: newId('file'),
    account_id: ctx.scope.account_id,
    livemode: ctx.scope.livemode,
    created: deps.clock.now(),
    expires_at: null,
    filename: f.filename,
    purpose: p.purpose as FilePurpose,
    size: f.bytes.length,
    title: null,
    type,
    sha256: createHash('sha256').update(f.bytes).digest('hex'),
  };
  await deps.store.files.insert(record, f.bytes);
  return ok(record);
}
