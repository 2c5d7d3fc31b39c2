/**
 * /v1/files: evidence a merchant uploads for its disputes (multipart/form-data, as Stripe's SDKs
 * send it), read back as Stripe's File object or as its bytes. Only this route takes multipart:
 * its parser is registered in this plugin's own scope, so every other v1 route still answers a
 * multipart body with 415.
 */
import type { FastifyInstance } from 'fastify';
import type { CoreDeps } from '../../../core/context.js';
import { createFile } from '../../../core/files/create.js';
import { fileContents, getFile, listFiles } from '../../../core/files/read.js';
import { FILE_TYPES, type FileRecord } from '../../../core/files/file.js';
import * as P from '../params.js';
import { parseParams, scopeOf, sendFailure, sendResult } from '../plugin.js';
import { MULTIPART_BODY_LIMIT, parseMultipart } from '../multipart.js';
import { requestContext } from './payment-intents.js';
import { listBody } from './list.js';

/** Stripe's File object; `url` is where its bytes are served (with the API key, like every /v1 read). */
export function filePublic(f: FileRecord, publicUrl: string) {
  return {
    id: f.id,
    object: 'file' as const,
    created: f.created,
    expires_at: f.expires_at,
    filename: f.filename,
    links: { object: 'list' as const, data: [] as unknown[], has_more: false, url: `/v1/file_links?file=${f.id}` },
    purpose: f.purpose,
    size: f.size,
    title: f.title,
    type: f.type,
    url: `${publicUrl.replace(/\/$/, '')}/v1/files/${f.id}/contents`,
  };
}

export function fileRoutes(core: CoreDeps, publicUrl: () => string) {
  return async (app: FastifyInstance) => {
    app.addContentTypeParser('multipart/form-data', { parseAs: 'buffer', bodyLimit: MULTIPART_BODY_LIMIT }, (req, body, done) => {
      parseMultipart(req.headers, body as Buffer).then((v) => done(null, v), (err: Error) => done(err));
    });

    app.post('/files', async (req, reply) => {
      const parsed = parseParams(reply, P.createFile, req.body, 'none');
      if (!parsed) return reply;
      const { purpose, file } = parsed.params;
      return sendResult(reply, await createFile(core, requestContext(req), { purpose, file }), (f) => filePublic(f, publicUrl()));
    });

    app.get<{ Params: { id: string } }>('/files/:id', async (req, reply) => {
      if (!parseParams(reply, P.retrieve, req.query, 'none')) return reply;
      return sendResult(reply, await getFile(core, scopeOf(req), req.params.id), (f) => filePublic(f, publicUrl()));
    });

    app.get<{ Params: { id: string } }>('/files/:id/contents', async (req, reply) => {
      if (!parseParams(reply, P.fileContents, req.query, 'none')) return reply;
      const found = await fileContents(core, scopeOf(req), req.params.id);
      if (!found.ok) return sendFailure(reply, found.error);
      const { file, bytes } = found.value;
      return reply.code(200)
        .type(FILE_TYPES[file.type].mime)
        .header('Content-Disposition', `attachment; filename="${file.id}.${file.type}"`)
        .header('X-Content-Type-Options', 'nosniff')
        .send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    });

    app.get('/files', async (req, reply) => {
      const parsed = parseParams(reply, P.listFiles, req.query, 'none', true);
      if (!parsed) return reply;
      const { params: p } = parsed;
      const page = await listFiles(core, scopeOf(req), { ...P.toListQuery(p), purpose: p.purpose });
      return sendResult(reply, page, (pg) => listBody('/v1/files', pg, (f) => filePublic(f, publicUrl())));
    });
  };
}
