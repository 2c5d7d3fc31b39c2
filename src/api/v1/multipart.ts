/**
 * multipart/form-data, the one body `POST /v1/files` takes (Stripe's SDKs upload files so),
 * read with @fastify/busboy (the parser @fastify/multipart is built on) from the whole body, which
 * Fastify has already bounded. The body becomes the parameters every v1 route parses: the text
 * parts as Stripe's bracket names say (`expand[]`, `a[b]`: form.ts), each file part
 * `{filename, bytes, truncated}` — the part's own Content-Type is not kept, as the file's type is
 * read from its bytes (core/files/file.ts).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { Busboy } from '@fastify/busboy';
import { MAX_FILE_BYTES } from '../../core/files/file.js';
import { FormError, parseForm, type FormValue } from './form.js';

/** The largest body read: the largest file and room for its part headers and the other parameters. */
export const MULTIPART_BODY_LIMIT = MAX_FILE_BYTES + 1024 * 1024;

export interface FilePart {
  filename: string | null;
  bytes: Buffer;
  /** Longer than MAX_FILE_BYTES: only that much was read. */
  truncated: boolean;
}

export function parseMultipart(headers: IncomingHttpHeaders, body: Buffer): Promise<Record<string, FormValue | FilePart>> {
  return new Promise((resolve, reject) => {
    const files: Record<string, FilePart> = Object.create(null);
    const fields: string[] = [];
    let problem: string | undefined;
    let bb;
    try {
      bb = Busboy({
        headers: headers as IncomingHttpHeaders & { 'content-type': string },
        limits: { fileSize: MAX_FILE_BYTES, files: 1, fields: 20, parts: 21, fieldSize: 65_536, fieldNameSize: 200, headerPairs: 20 },
      });
    } catch (err) {
      reject(new FormError(`The multipart/form-data body cannot be read: ${(err as Error).message}.`));
      return;
    }
    bb.on('file', (name, stream, filename) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      // A part cut short: its stream errs (an unhandled 'error' would end the process).
      stream.on('error', (err: Error) => reject(new FormError(`The multipart/form-data body cannot be read: ${err.message}.`)));
      stream.on('end', () => {
        files[name] = { filename: filename || null, bytes: Buffer.concat(chunks), truncated: stream.truncated };
      });
    });
    bb.on('field', (name, value, nameTruncated, valueTruncated) => {
      if (nameTruncated || valueTruncated) problem ??= 'A multipart/form-data parameter is too long (names up to 200 bytes, values up to 64 KiB).';
      else fields.push(`${encodeURIComponent(name)}=${encodeURIComponent(value)}`);
    });
    bb.on('filesLimit', () => (problem ??= 'Send one file per request, as the part named "file".'));
    bb.on('fieldsLimit', () => (problem ??= 'The multipart/form-data body has too many parameters.'));
    bb.on('partsLimit', () => (problem ??= 'The multipart/form-data body has too many parts.'));
    bb.on('error', (err) => reject(new FormError(`The multipart/form-data body cannot be read: ${err instanceof Error ? err.message : String(err)}.`)));
    bb.on('finish', () => {
      if (problem) return reject(new FormError(problem));
      try {
        const params: Record<string, FormValue | FilePart> = parseForm(fields.join('&'));
        for (const [name, file] of Object.entries(files)) {
          if (name in params) return reject(new FormError(`The parameter ${name} was given both as text and as a file.`));
          params[name] = file;
        }
        resolve({ ...params });
      } catch (err) {
        reject(err);
      }
    });
    bb.end(body);
  });
}
