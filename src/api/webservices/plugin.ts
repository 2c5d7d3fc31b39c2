/**
 * The Trust Payments front door (seed 004, specs/trustpayments.md §1–§2): `POST /json/` and
 * `POST /xml/`, HTTP Basic auth of a webservices user, an envelope of request items handled in
 * order, each becoming one core operation (requests.ts). Every reply is HTTP 200 with an
 * `errorcode` per item — the official clients read codes, not statuses — except bad credentials,
 * which are a real 401 (the clients' error 6).
 */
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CoreDeps } from '../../core/context.js';
import type { Db } from '../../store/db.js';
import { authenticateUser, type WebservicesUser } from '../../store/tp-accounts.js';
import { randomToken } from '../../core/ids.js';
import { textProblem } from '../input.js';
import { TP_MESSAGES } from './codes.js';
import { handleItem, type Item, type ResponseItem } from './requests.js';
import { parseRequestBlock, renderResponseBlock, type Envelope } from './xml.js';
import { failureStatus, UNAVAILABLE_MESSAGE, unavailable } from '../failure.js';

export const WEBSERVICES_PATHS = ['/json/', '/xml/'] as const;
const BODY_LIMIT = 1_048_576;
/** XML costs far more to parse than JSON; no real requestblock comes near this. */
const XML_BODY_LIMIT = 131_072;
/** More request items than any integration sends in one envelope. */
export const MAX_ITEMS = 100;

export interface WebservicesOptions {
  core: CoreDeps;
  db: Db;
}

type Door = 'json' | 'xml';

interface Reply {
  requestreference: string;
  version: string;
  secrand: string;
  response: ResponseItem[];
}

const doorOf = (req: FastifyRequest): Door => (req.url.startsWith('/xml') ? 'xml' : 'json');

/** An item the envelope itself was refused with (no request could be read). */
function envelopeError(code: string, data: string[]): ResponseItem {
  return { requesttypedescription: 'ERROR', errorcode: code, errormessage: TP_MESSAGES[code] ?? 'Unknown error', errordata: data };
}

/**
 * The reply's requestreference: the REQUESTREFERENCE header (the official clients check it
 * against the one they sent, which for a multi-request envelope exists only there), else the first
 * item's, else one of ours in the gateway's `W<n>-<8>` form.
 */
function requestReferenceOf(req: FastifyRequest, envelope?: Envelope): string {
  const header = req.headers.requestreference;
  const fromHeader = Array.isArray(header) ? header[0] : header;
  if (fromHeader && fromHeader.length <= 64) return fromHeader;
  const first = envelope?.request?.[0]?.requestreference;
  if (typeof first === 'string' && first.length > 0 && first.length <= 64) return first;
  return `W1-${randomToken(8).toLowerCase()}`;
}

function send(req: FastifyRequest, reply: FastifyReply, door: Door, body: Reply): FastifyReply {
  const text = door === 'xml'
    ? renderResponseBlock({ requestreference: body.requestreference, secrand: body.secrand, response: body.response })
    : JSON.stringify(body);
  reply.code(200).type(door === 'xml' ? 'text/xml; charset=utf-8' : 'application/json');
  const accepts = String(req.headers['accept-encoding'] ?? '');
  if (/\bgzip\b/.test(accepts) && text.length > 256) {
    reply.header('Content-Encoding', 'gzip').header('Vary', 'Accept-Encoding');
    return reply.send(gzipSync(text));
  }
  return reply.send(text);
}

const secrand = () => randomToken(3 + Math.floor(Math.random() * 14));

function parseJsonEnvelope(text: string): { envelope: Envelope } | { error: ResponseItem } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { error: envelopeError('10205', []) };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return { error: envelopeError('30010', ['request']) };
  const e = parsed as Record<string, unknown>;
  let request = e.request;
  // A single request object instead of a list is read as a list of one.
  if (request !== undefined && request !== null && typeof request === 'object' && !Array.isArray(request)) request = [request];
  if (request !== undefined && !Array.isArray(request)) return { error: envelopeError('30010', ['request']) };
  for (const key of ['alias', 'version'] as const) {
    if (e[key] !== undefined && typeof e[key] !== 'string') return { error: envelopeError('30010', [key]) };
  }
  return { envelope: { alias: e.alias as string | undefined, version: e.version as string | undefined, request: (request ?? []) as Item[] } };
}

function credentials(req: FastifyRequest): { username: string; password: string } | undefined {
  const h = req.headers.authorization;
  if (!h || !/^basic /i.test(h)) return undefined;
  const decoded = Buffer.from(h.slice(6).trim(), 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  // Names the store could not even look up (NUL, broken UTF-8) are wrong credentials like any other.
  if (i <= 0 || i > 200 || decoded.length > 1024 || textProblem(decoded) || decoded.includes('\uFFFD')) return undefined;
  return { username: decoded.slice(0, i), password: decoded.slice(i + 1) };
}

/** This door's last word: whatever went wrong, the client gets an envelope it can read, never a stack. */
export async function webservicesErrorHandler(err: Error & { statusCode?: number }, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const status = failureStatus(err);
  const door = doorOf(req);
  const answer = (item: ResponseItem) =>
    send(req, reply, door, { requestreference: requestReferenceOf(req), version: door === 'xml' ? '3.67' : '1.00', secrand: secrand(), response: [item] });
  if (status === 500) {
    req.log.error({ err }, 'webservices request failed');
    return answer(envelopeError('99999', [`request ${req.id}`]));
  }
  if (status === 503) {
    unavailable(reply, err);
    return answer(envelopeError('99999', [UNAVAILABLE_MESSAGE, `request ${req.id}`]));
  }
  req.log.warn({ status, code: (err as { code?: string }).code }, 'webservices request refused');
  return answer(envelopeError('10205', [status === 413 ? `The body is larger than ${BODY_LIMIT} bytes.` : err.message]));
}

export function webservicesRoutes(opts: WebservicesOptions) {
  return async (app: FastifyInstance) => {
    app.removeAllContentTypeParsers();
    // Whatever the Content-Type, the body is read as text and parsed here, so a malformed body is an errorcode, not a 400.
    app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: BODY_LIMIT }, (_req, body, done) => done(null, body));
    app.setErrorHandler(webservicesErrorHandler);

    const handle = async (req: FastifyRequest, reply: FastifyReply, door: Door) => {
      const creds = credentials(req);
      const user: WebservicesUser | undefined = creds && await authenticateUser(opts.db, creds.username, creds.password);
      if (!user) {
        return reply.code(401).header('WWW-Authenticate', 'Basic realm="OpenCashier webservices"').type('application/json')
          .send({ errorcode: '6', errormessage: 'Invalid credentials provided' });
      }
      const text = typeof req.body === 'string' ? req.body : '';
      const parsed = door === 'xml' ? xmlEnvelope(text) : parseJsonEnvelope(text);
      const version = door === 'xml' ? '3.67' : '1.00';
      if ('error' in parsed) {
        return send(req, reply, door, { requestreference: requestReferenceOf(req), version, secrand: secrand(), response: [parsed.error] });
      }
      const envelope = parsed.envelope;
      const requestreference = requestReferenceOf(req, envelope);
      const versionOk = door === 'xml' ? /^3\.\d{1,3}$/.test(envelope.version ?? '3.67') : envelope.version === '1.00';
      if (!versionOk) return send(req, reply, door, { requestreference, version, secrand: secrand(), response: [envelopeError('30007', ['version'])] });
      if (envelope.request.length === 0) return send(req, reply, door, { requestreference, version, secrand: secrand(), response: [envelopeError('60018', ['None'])] });
      if (envelope.request.length > MAX_ITEMS) return send(req, reply, door, { requestreference, version, secrand: secrand(), response: [envelopeError('30000', ['request'])] });
      const response: ResponseItem[] = [];
      for (const item of envelope.request) {
        // Items are independent: one refused does not stop the next (a failed TRANSACTIONUPDATE, then a REFUND that works).
        if (item === null || typeof item !== 'object' || Array.isArray(item)) {
          response.push(envelopeError('30010', ['request']));
          continue;
        }
        response.push(...await handleItem({ deps: opts.core, user, request_id: req.id }, item, requestreference));
      }
      return send(req, reply, door, { requestreference, version, secrand: secrand(), response });
    };

    app.post('/json/', (req, reply) => handle(req, reply, 'json'));
    app.post('/xml/', (req, reply) => handle(req, reply, 'xml'));
  };
}

function xmlEnvelope(text: string): { envelope: Envelope } | { error: ResponseItem } {
  if (text.length > XML_BODY_LIMIT) {
    return { error: { requesttypedescription: 'ERROR', errorcode: '10205', errormessage: 'Malformed XML: the body is too large', errordata: [`at most ${XML_BODY_LIMIT} characters`] } };
  }
  const r = parseRequestBlock(text);
  if (r.ok) return { envelope: r.envelope };
  return { error: { requesttypedescription: 'ERROR', errorcode: r.errorcode, errormessage: r.errormessage, errordata: r.errordata } };
}
