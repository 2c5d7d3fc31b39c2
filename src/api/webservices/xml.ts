// The XML envelope of the Trust Payments (STPP) webservices door: <requestblock> in, <responseblock>
// out. Pure: no HTTP, no store. It turns XML into the same flat request objects the JSON door hands
// to the request handlers, and renders their flat answers back as XML.
import { XMLParser, XMLValidator } from 'fast-xml-parser';

/** The envelope every door hands to the request handlers (same as the JSON body). */
export interface Envelope { alias?: string; version?: string; request: Record<string, unknown>[] }
export type XmlParse =
  | { ok: true; envelope: Envelope }
  | { ok: false; errorcode: '10205'; errormessage: string; errordata: string[] };

const MAX_DEPTH = 12;
const MAX_REQUESTS = 100;
// Any markup declaration (DOCTYPE, ENTITY, ELEMENT, …; comments and CDATA start otherwise). Refused
// before parsing, so no entity is ever declared, let alone expanded.
const DECLARATION = /<!\s*[A-Za-z]/;
// Characters outside XML 1.0's Char production (controls, U+FFFE/FFFF, lone surrogates).
const NOT_XML_CHAR = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const NOT_XML_CHARS = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
const NAME_START = 'A-Za-z_\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF\\u200C-\\u200D\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD';
const NAME_CHAR = `${NAME_START}\\-.0-9\\u00B7\\u0300-\\u036F\\u203F-\\u2040`;
// A Name without ':' (no namespaces are declared) and outside the reserved xml… space.
const XML_NAME = new RegExp(`^(?!xml)[${NAME_START}][${NAME_CHAR}]*$`, 'i');
const PI_TARGET = new RegExp(`^[${NAME_START}:][${NAME_CHAR}:]*$`);

const parser = new XMLParser({
  preserveOrder: true, // keeps repeated elements, order, and text beside elements visible
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false, // trimmed here, once the text and CDATA pieces of an element are joined
  processEntities: false, // decoded here: only the five predefined entities and character references
  htmlEntities: false,
  cdataPropName: '#cdata', // CDATA is kept apart so its content is not entity-decoded
  ignoreDeclaration: true,
  ignorePiTags: true,
  maxNestedTags: MAX_DEPTH, // stops a deeply nested body early; the exact limit is checked below
  captureMetaData: true, // where the root starts and ends, to check what surrounds it
});
const META = XMLParser.getMetaDataSymbol() as unknown as symbol; // typed as the Symbol wrapper

class Malformed extends Error {
  constructor(readonly what: string, readonly data: string) { super(what); }
}

type Text = { text: string };
type El = { name: string; attrs: Map<string, string>; children: (El | Text)[] };

const clip = (s: string, n = 64) => (s.length > n ? `${s.slice(0, n)}…` : s);
const isEl = (n: El | Text): n is El => 'name' in n;
// By hand: a regex with a trailing `\s+$` is quadratic on a long run of spaces that ends in text.
function xmlTrim(s: string): string {
  const ws = (c: string | undefined) => c === ' ' || c === '\t' || c === '\n' || c === '\r';
  let start = 0;
  let end = s.length;
  while (start < end && ws(s[start])) start++;
  while (end > start && ws(s[end - 1])) end--;
  return s.slice(start, end);
}

const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Decodes a raw text or attribute value; a reference XML does not define without a DTD is malformed. */
function decode(raw: string, where: string): string {
  return raw.replace(/&([^;&<>\s]{0,32});?/g, (ref, body: string) => {
    if (!ref.endsWith(';')) throw new Malformed(`'&' not part of an entity reference in ${where}`, where);
    const named = Object.hasOwn(PREDEFINED, body) ? PREDEFINED[body] : undefined;
    if (named !== undefined) return named;
    const m = /^#(?:x([0-9a-fA-F]{1,6})|([0-9]{1,7}))$/.exec(body);
    if (!m) throw new Malformed(`undefined entity ${clip(ref, 40)} in ${where}`, where);
    const cp = m[1] !== undefined ? parseInt(m[1], 16) : parseInt(m[2]!, 10);
    const ch = cp <= 0x10ffff ? String.fromCodePoint(cp) : '';
    if (!ch || NOT_XML_CHAR.test(ch)) throw new Malformed(`character reference ${clip(ref, 40)} is not an XML character in ${where}`, where);
    return ch;
  });
}

/** Turns fast-xml-parser's ordered output into elements, decoding text and attributes and bounding depth. */
function toElement(node: Record<string, unknown>, path: string, depth: number): El {
  const name = Object.keys(node).find((k) => k !== ':@');
  if (name === undefined) throw new Malformed('unreadable element', path);
  const here = path ? `${path}/${clip(name)}` : clip(name);
  if (depth > MAX_DEPTH) throw new Malformed(`nesting deeper than ${MAX_DEPTH} levels`, here);
  const attrs = new Map<string, string>();
  const rawAttrs = node[':@'];
  if (rawAttrs && typeof rawAttrs === 'object') {
    for (const [k, v] of Object.entries(rawAttrs as Record<string, unknown>)) {
      const value = String(v);
      if (value.includes('<')) throw new Malformed(`'<' in an attribute value of ${here}`, here);
      attrs.set(k.replace(/^@_/, ''), xmlTrim(decode(value, here)));
    }
  }
  const children: (El | Text)[] = [];
  const raw = node[name];
  for (const child of Array.isArray(raw) ? raw : []) {
    const c = child as Record<string, unknown>;
    if (Object.hasOwn(c, '#text')) children.push({ text: decode(String(c['#text']), here) });
    else if (Object.hasOwn(c, '#cdata')) {
      const parts = Array.isArray(c['#cdata']) ? (c['#cdata'] as Record<string, unknown>[]) : [];
      children.push({ text: parts.map((p) => String(p['#text'] ?? '')).join('') });
    } else children.push(toElement(c, here, depth + 1));
  }
  return { name, attrs, children };
}

/** The child elements of a container; text there (other than layout whitespace) is malformed. */
function elements(el: El, path: string): El[] {
  const out: El[] = [];
  for (const c of el.children) {
    if (isEl(c)) out.push(c);
    else if (xmlTrim(c.text) !== '') throw new Malformed(`text where an element is expected in ${path}`, path);
  }
  return out;
}

/** The text of a leaf element, "" when empty; an element inside it is malformed. */
function text(el: El, path: string): string {
  let s = '';
  for (const c of el.children) {
    if (isEl(c)) throw new Malformed(`element where text is expected in ${path}`, path);
    s += c.text;
  }
  return xmlTrim(s);
}

/** Sets a key once: a field given twice is ambiguous, so refused rather than guessed. */
function put(target: Record<string, unknown>, key: string, value: unknown, path: string): void {
  if (Object.hasOwn(target, key)) throw new Malformed(`${key} given more than once in ${path}`, path);
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

const OPERATION = ['sitereference', 'accounttypedescription', 'applicationtype', 'parenttransactionreference'];
const MERCHANT = ['orderreference', 'returnurl', 'operatorname'];
const CUSTOM = ['customfield1', 'customfield2', 'customfield3', 'customfield4', 'customfield5'];

function leaves(group: El, path: string, names: string[], out: Record<string, unknown>): void {
  for (const e of elements(group, path)) if (names.includes(e.name)) put(out, e.name, text(e, `${path}/${e.name}`), path);
}

function billing(group: El, path: string, out: Record<string, unknown>): void {
  for (const e of elements(group, path)) {
    const p = `${path}/${e.name}`;
    if (e.name === 'amount') {
      put(out, 'baseamount', text(e, p), p);
      const currency = e.attrs.get('currencycode');
      if (currency !== undefined) put(out, 'currencyiso3a', currency, p);
    } else if (e.name === 'payment') {
      elements(e, p);
      const type = e.attrs.get('type');
      if (type !== undefined) put(out, 'paymenttypedescription', type, p);
    } else if (e.name === 'name') {
      for (const n of elements(e, p)) {
        if (n.name === 'first') put(out, 'billingfirstname', text(n, `${p}/first`), p);
        else if (n.name === 'last') put(out, 'billinglastname', text(n, `${p}/last`), p);
      }
    } else if (e.name === 'country') put(out, 'billingcountryiso2a', text(e, p), p);
    else if (e.name === 'email') put(out, 'billingemail', text(e, p), p);
  }
}

/** Every child of <filter>, repeated ones OR-ed into the list, as the JSON filter has them. */
function filter(group: El, path: string): Record<string, { value: string }[]> {
  const lists = new Map<string, { value: string }[]>();
  for (const e of elements(group, path)) {
    const list = lists.get(e.name) ?? [];
    list.push({ value: text(e, `${path}/${e.name}`) });
    lists.set(e.name, list);
  }
  return Object.fromEntries(lists);
}

/** <updates> flattened one group deep (settlement/…, merchant/…), as the JSON updates object is flat. */
function updates(group: El, path: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of elements(group, path)) {
    const p = `${path}/${e.name}`;
    if (e.children.some(isEl)) for (const leaf of elements(e, p)) put(out, leaf.name, text(leaf, `${p}/${leaf.name}`), p);
    else put(out, e.name, text(e, p), path);
  }
  return out;
}

function request(el: El, path: string): Record<string, unknown> {
  if (el.children.some((c) => !isEl(c) && xmlTrim(c.text) !== '')) {
    throw new Malformed(`${path} holds text, not elements`, path);
  }
  const out: Record<string, unknown> = {};
  const type = el.attrs.get('type');
  if (type !== undefined) put(out, 'requesttypedescriptions', type.split(',').map(xmlTrim), path);
  for (const e of elements(el, path)) {
    const p = `${path}/${e.name}`;
    if (e.name === 'operation') leaves(e, p, OPERATION, out);
    else if (e.name === 'merchant') leaves(e, p, [...MERCHANT, ...CUSTOM], out);
    else if (e.name === 'billing') billing(e, p, out);
    else if (e.name === 'filter') put(out, 'filter', filter(e, p), path);
    else if (e.name === 'updates') put(out, 'updates', updates(e, p), path);
    else if (CUSTOM.includes(e.name)) put(out, e.name, text(e, p), path);
  }
  return out;
}

/** Skips whitespace, comments and processing instructions (XML's Misc) from i. */
function skipMisc(s: string, i: number): number {
  for (;;) {
    while (i < s.length && ' \t\r\n'.includes(s[i]!)) i++;
    let end = -1;
    if (s.startsWith('<!--', i)) {
      const close = s.indexOf('-->', i + 4);
      const content = s.slice(i + 4, Math.max(close, i + 4));
      if (close >= 0 && !content.includes('--') && !content.endsWith('-')) end = close + 3;
    }
    else if (s.startsWith('<?', i)) {
      const target = /^[^ \t\r\n?]*/.exec(s.slice(i + 2, i + 200))![0];
      if (PI_TARGET.test(target) && !/^xml$/i.test(target)) end = s.indexOf('?>', i + 2) + 2;
    }
    if (end < 2) return i;
    i = end;
  }
}

/**
 * Only comments, PIs and whitespace may surround the root. The validator lets references and PIs
 * through after it, and text after a self-closing root; the parser drops them. Checked here
 * from where the parser says the root starts and ends.
 */
function onlyMiscAround(body: string, root: Record<string | symbol, unknown>): boolean {
  const at = root[META] as { startIndex?: number; endIndex?: number } | undefined;
  const decl = /^<\?xml[ \t\r\n?]/.test(body) ? body.indexOf('?>') + 2 : 0;
  return at?.startIndex === skipMisc(body, decl) && at.endIndex !== undefined && skipMisc(body, at.endIndex) === body.length;
}

function parseOrThrow(xml: string): Envelope {
  if (DECLARATION.test(xml)) {
    throw new Malformed('DOCTYPE and ENTITY declarations are not accepted', 'DOCTYPE');
  }
  // The validator and parser both let a stray `<!` through (as an element named "!").
  if (/<!(?!--|\[CDATA\[)/.test(xml)) throw new Malformed("'<!' that opens neither a comment nor CDATA", '<!');
  const body = xml.startsWith('\uFEFF') ? xml.slice(1) : xml;
  if (NOT_XML_CHAR.test(body)) throw new Malformed('a character XML 1.0 does not allow', 'character');
  const valid = XMLValidator.validate(body);
  if (valid !== true) {
    throw new Malformed(clip(valid.err.msg, 200), `line ${valid.err.line}${valid.err.col ? `, column ${valid.err.col}` : ''}`);
  }
  let tree: unknown;
  try {
    tree = parser.parse(body);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (/nested tags/i.test(msg)) throw new Malformed(`nesting deeper than ${MAX_DEPTH} levels`, 'requestblock');
    throw new Malformed(clip(msg, 200), 'requestblock');
  }
  const top = (Array.isArray(tree) ? tree : []) as Record<string, unknown>[];
  const first = top.find((n) => !Object.hasOwn(n, '#text') && !Object.hasOwn(n, '#cdata'));
  if (!first) throw new Malformed('no root element', 'requestblock');
  if (!onlyMiscAround(body, first)) throw new Malformed('content outside the root element', 'requestblock');
  const root = toElement(first, '', 1);
  if (root.name !== 'requestblock') throw new Malformed('the root element must be requestblock', clip(root.name));

  const children = elements(root, 'requestblock');
  const requests = children.filter((e) => e.name === 'request');
  if (requests.length > MAX_REQUESTS) throw new Malformed(`more than ${MAX_REQUESTS} request elements`, 'request');
  const envelope: Envelope = { request: [] };
  const version = root.attrs.get('version');
  if (version !== undefined) envelope.version = version;
  const aliases = children.filter((e) => e.name === 'alias');
  if (aliases.length > 1) throw new Malformed('alias given more than once', 'alias');
  if (aliases[0]) envelope.alias = text(aliases[0], 'requestblock/alias');
  requests.forEach((r, i) => envelope.request.push(request(r, `requestblock/request[${i + 1}]`)));
  return envelope;
}

export function parseRequestBlock(xml: string): XmlParse {
  try {
    if (typeof xml !== 'string') throw new Malformed('the body is not text', 'requestblock');
    return { ok: true, envelope: parseOrThrow(xml) };
  } catch (e) {
    // Never throws: whatever the parser or this module trips on is the client's malformed XML.
    const what = e instanceof Malformed ? e.what : 'unreadable';
    const data = e instanceof Malformed ? e.data : 'requestblock';
    return { ok: false, errorcode: '10205', errormessage: `Malformed XML: ${what}`, errordata: [data] };
  }
}

// ---- rendering ----

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\r': '&#13;', '\t': '&#9;', '\n': '&#10;' };
// A raw CR would be read back as LF, and a raw tab or newline in an attribute as a space: referenced instead.
const escapeXml = (s: string) => s.replace(NOT_XML_CHARS, '').replace(/[&<>"'\r]/g, (c) => ESCAPES[c]!);
const escapeAttr = (s: string) => s.replace(NOT_XML_CHARS, '').replace(/[&<>"'\r\t\n]/g, (c) => ESCAPES[c]!);

function scalar(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return undefined;
}

const MERCHANT_OUT: [string, string][] = [['merchantname', 'merchantname'], ['orderreference', 'orderreference'], ['operatorname', 'operatorname'], ['partner id', 'partnerid']];
const OPERATION_OUT = ['accounttypedescription', 'parenttransactionreference', 'sitereference', 'applicationtype'];
const SETTLEMENT_OUT = ['settleduedate', 'settlestatus', 'settledtimestamp', 'settlebaseamount'];
const OTHER_OUT = ['redirecturl', 'authcode', 'acquirerresponsecode', 'interface', 'investigation'];
const KNOWN = new Set([
  'requesttypedescription', ...MERCHANT_OUT.map(([k]) => k), 'transactionreference', 'transactionstartedtimestamp',
  ...OPERATION_OUT, ...SETTLEMENT_OUT, 'baseamount', 'currencyiso3a', 'paymenttypedescription', 'livestatus',
  ...OTHER_OUT, 'errormessage', 'errorcode', 'errordata', 'records',
]);

function renderItem(tag: 'response' | 'record', item: Record<string, unknown>): string[] {
  const get = (k: string) => (Object.hasOwn(item, k) ? scalar(item[k]) : undefined);
  const leaf = (name: string, v: string | undefined) => (v === undefined ? [] : [`<${name}>${escapeXml(v)}</${name}>`]);
  const group = (name: string, inner: string[]) => (inner.length ? [`<${name}>`, ...inner, `</${name}>`] : []);

  const type = get('requesttypedescription');
  const lines = [type === undefined ? `<${tag}>` : `<${tag} type="${escapeAttr(type)}">`];
  lines.push(...group('merchant', MERCHANT_OUT.flatMap(([k, name]) => leaf(name, get(k)))));
  lines.push(...leaf('transactionreference', get('transactionreference')));
  lines.push(...leaf('timestamp', get('transactionstartedtimestamp')));
  lines.push(...group('operation', OPERATION_OUT.flatMap((k) => leaf(k, get(k)))));
  lines.push(...group('settlement', SETTLEMENT_OUT.flatMap((k) => leaf(k, get(k)))));
  const amount = get('baseamount');
  const currency = get('currencyiso3a');
  const payment = get('paymenttypedescription');
  const billing: string[] = [];
  if (amount !== undefined || currency !== undefined) {
    const attr = currency === undefined ? '' : ` currencycode="${escapeAttr(currency)}"`;
    billing.push(amount === undefined ? `<amount${attr}/>` : `<amount${attr}>${escapeXml(amount)}</amount>`);
  }
  if (payment !== undefined) billing.push(`<payment type="${escapeAttr(payment)}"/>`);
  lines.push(...group('billing', billing));
  lines.push(...leaf('live', get('livestatus')));
  const unknown = Object.keys(item).filter((k) => !KNOWN.has(k) && XML_NAME.test(k)).flatMap((k) => leaf(k, get(k)));
  lines.push(...group('other', [...OTHER_OUT.flatMap((k) => leaf(k, get(k))), ...unknown]));
  // Records one level deep only: a record's own records are not a thing TRANSACTIONQUERY returns.
  const records = tag === 'response' && Array.isArray(item.records) ? item.records : [];
  for (const r of records) if (r && typeof r === 'object' && !Array.isArray(r)) lines.push(...renderItem('record', r as Record<string, unknown>));
  const data = Array.isArray(item.errordata) ? item.errordata : [item.errordata];
  lines.push(...group('error', [
    ...leaf('message', get('errormessage')),
    ...leaf('code', get('errorcode')),
    ...data.flatMap((d) => leaf('data', scalar(d))),
  ]));
  lines.push(`</${tag}>`);
  return lines;
}

export function renderResponseBlock(r: { requestreference: string; version?: string /* default "3.67" */; secrand: string; response: Record<string, unknown>[] }): string {
  return [
    `<responseblock version="${escapeAttr(r.version ?? '3.67')}">`,
    `<requestreference>${escapeXml(r.requestreference)}</requestreference>`,
    ...r.response.flatMap((item) => renderItem('response', item)),
    `<secrand>${escapeXml(r.secrand)}</secrand>`,
    '</responseblock>',
  ].join('\n');
}
