/**
 * The XML envelope of the Trust Payments webservices door (src/api/webservices/xml.ts): requestblocks
 * become the JSON door's flat requests, flat responses become responseblocks, and nothing in a body
 * can declare or expand an entity, or make the parser throw.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { parseRequestBlock, renderResponseBlock, type XmlParse } from '../../src/api/webservices/xml.js';
import { SEED_004_XML_WAP } from '../helpers/seeds.js';

// Trust Payments' own example (a WAP payment page on a phone).
const SEED_WAP = SEED_004_XML_WAP;

// The same request for a desktop shop (no applicationtype), with the optional fields the door maps.
const SEED_ECOM = `<?xml version="1.0" encoding="utf-8"?>
<requestblock version="3.67">
  <alias>webservices@example.com</alias>
  <request type="AUTH">
    <merchant>
      <orderreference>MyOrder124</orderreference>
      <returnurl>https://www.example.com/return</returnurl>
      <operatorname>jane</operatorname>
      <customfield1>gift</customfield1>
    </merchant>
    <customer><name><first>Ignored</first></name><email>ignored@example.com</email></customer>
    <customfield2>wrap</customfield2>
    <billing>
      <amount currencycode="GBP">2000</amount>
      <payment type="ALIPAY"/>
      <name><first>Jo</first><middle>Q</middle><last>Bloggs</last></name>
      <country>GB</country>
      <email>jo@example.com</email>
    </billing>
    <operation>
      <sitereference>test_site12345</sitereference>
      <accounttypedescription>ECOM</accounttypedescription>
    </operation>
  </request>
</requestblock>
`;

const SEED_AUTH_REPLY = `<responseblock version="3.67">
<requestreference>Xd4nk260v</requestreference>
<response type="AUTH">
<merchant>
<merchantname>Test Merchant</merchantname>
<orderreference>MyOrder123</orderreference>
<operatorname>webservices@example.com</operatorname>
<partnerid>2088101122136241</partnerid>
</merchant>
<transactionreference>44-86-102</transactionreference>
<timestamp>2017-03-16 17:34:16</timestamp>
<operation>
<accounttypedescription>ECOM</accounttypedescription>
</operation>
<settlement>
<settleduedate>2017-03-16</settleduedate>
<settlestatus>10</settlestatus>
</settlement>
<billing>
<amount currencycode="EUR">1050</amount>
<payment type="ALIPAY"/>
</billing>
<live>0</live>
<other>
<redirecturl>https://example.com</redirecturl>
</other>
<error>
<message>Ok</message>
<code>0</code>
</error>
</response>
<secrand>Z1W</secrand>
</responseblock>`;

// The seed reply as the JSON door's handlers produce it.
const AUTH_REPLY_FLAT = {
  requesttypedescription: 'AUTH', merchantname: 'Test Merchant', orderreference: 'MyOrder123',
  operatorname: 'webservices@example.com', 'partner id': '2088101122136241', transactionreference: '44-86-102',
  transactionstartedtimestamp: '2017-03-16 17:34:16', accounttypedescription: 'ECOM', settleduedate: '2017-03-16',
  settlestatus: '10', baseamount: '1050', currencyiso3a: 'EUR', paymenttypedescription: 'ALIPAY', livestatus: '0',
  redirecturl: 'https://example.com', errormessage: 'Ok', errorcode: '0',
};

const block = (inner: string) => `<requestblock version="3.67">${inner}</requestblock>`;

function envelope(xml: string) {
  const r = parseRequestBlock(xml);
  assert.ok(r.ok, `expected a parse, got ${JSON.stringify(r)}`);
  return r.envelope;
}

function malformed(xml: string, what?: RegExp): Extract<XmlParse, { ok: false }> {
  const r = parseRequestBlock(xml);
  assert.equal(r.ok, false, `expected a refusal for ${JSON.stringify(String(xml).slice(0, 200))}`);
  if (r.ok) throw new Error('unreachable');
  assert.equal(r.errorcode, '10205');
  assert.match(r.errormessage, /^Malformed XML/);
  assert.ok(Array.isArray(r.errordata) && r.errordata.length > 0 && r.errordata.every((d) => typeof d === 'string'));
  if (what) assert.match(r.errormessage, what);
  return r;
}

const REFUSED_DTD = {
  ok: false, errorcode: '10205',
  errormessage: 'Malformed XML: DOCTYPE and ENTITY declarations are not accepted', errordata: ['DOCTYPE'],
};

describe('parsing a requestblock', () => {
  test("Trust Payments' WAP example becomes the JSON door's flat request", () => {
    assert.deepEqual(parseRequestBlock(SEED_WAP), {
      ok: true,
      envelope: {
        alias: 'webservices@example.com', version: '3.67',
        request: [{
          requesttypedescriptions: ['AUTH'], orderreference: 'MyOrder123', returnurl: 'https://www.example.com/return',
          baseamount: '1050', currencyiso3a: 'EUR', paymenttypedescription: 'ALIPAY',
          sitereference: 'test_site12345', accounttypedescription: 'ECOM', applicationtype: 'WAP',
        }],
      },
    });
  });

  test('the e-commerce request maps billing name, country, email, operator and custom fields; customer is ignored', () => {
    assert.deepEqual(envelope(SEED_ECOM), {
      alias: 'webservices@example.com', version: '3.67',
      request: [{
        requesttypedescriptions: ['AUTH'], orderreference: 'MyOrder124', returnurl: 'https://www.example.com/return',
        operatorname: 'jane', customfield1: 'gift', customfield2: 'wrap',
        baseamount: '2000', currencyiso3a: 'GBP', paymenttypedescription: 'ALIPAY',
        billingfirstname: 'Jo', billinglastname: 'Bloggs', billingcountryiso2a: 'GB', billingemail: 'jo@example.com',
        sitereference: 'test_site12345', accounttypedescription: 'ECOM',
      }],
    });
  });

  test('a comma list of request types is split; parenttransactionreference comes from operation', () => {
    const e = envelope(block(`<request type=" ACCOUNTCHECK, AUTH "><operation>
      <parenttransactionreference>1-2-3</parenttransactionreference></operation></request>`));
    assert.deepEqual(e.request, [{ requesttypedescriptions: ['ACCOUNTCHECK', 'AUTH'], parenttransactionreference: '1-2-3' }]);
  });

  test('TRANSACTIONQUERY: every filter child becomes a list, repeated ones OR-ed together', () => {
    const e = envelope(block(`<alias>a</alias><request type="TRANSACTIONQUERY"><filter>
      <sitereference>s</sitereference>
      <transactionreference>a</transactionreference>
      <transactionreference>b</transactionreference>
      <orderreference>o</orderreference>
      <starttimestamp>2026-01-01</starttimestamp>
      <endtimestamp>2026-01-31</endtimestamp>
      <currencyiso3a/>
    </filter></request>`));
    assert.deepEqual(e.request, [{
      requesttypedescriptions: ['TRANSACTIONQUERY'],
      filter: {
        sitereference: [{ value: 's' }], transactionreference: [{ value: 'a' }, { value: 'b' }],
        orderreference: [{ value: 'o' }], starttimestamp: [{ value: '2026-01-01' }],
        endtimestamp: [{ value: '2026-01-31' }], currencyiso3a: [{ value: '' }],
      },
    }]);
  });

  test('TRANSACTIONUPDATE: filter and flat updates', () => {
    const e = envelope(block(`<request type="TRANSACTIONUPDATE">
      <filter><sitereference>s</sitereference><transactionreference>1-9-1</transactionreference></filter>
      <updates>
        <settlement><settlestatus>3</settlestatus><settlebaseamount>50</settlebaseamount><settleduedate>2026-12-01</settleduedate></settlement>
        <merchant><orderreference>x</orderreference></merchant>
      </updates></request>`));
    assert.deepEqual(e.request, [{
      requesttypedescriptions: ['TRANSACTIONUPDATE'],
      filter: { sitereference: [{ value: 's' }], transactionreference: [{ value: '1-9-1' }] },
      updates: { settlestatus: '3', settlebaseamount: '50', settleduedate: '2026-12-01', orderreference: 'x' },
    }]);
  });

  test('several requests come out in order; none gives an empty list', () => {
    const e = envelope(block(['A', 'B', 'C'].map((o) => `<request type="AUTH"><merchant><orderreference>${o}</orderreference></merchant></request>`).join('\n')));
    assert.deepEqual(e.request.map((r) => r.orderreference), ['A', 'B', 'C']);
    assert.deepEqual(envelope('<requestblock version="3.67"><alias>x</alias></requestblock>'), { alias: 'x', version: '3.67', request: [] });
    assert.deepEqual(envelope('<requestblock/>'), { request: [] });
  });

  test('up to 100 requests are read, a 101st refuses the block', () => {
    const many = (n: number) => block('<request type="AUTH"/>'.repeat(n));
    assert.equal(envelope(many(100)).request.length, 100);
    assert.deepEqual(malformed(many(101), /more than 100 request/).errordata, ['request']);
  });

  test('empty elements give "" so field checks can name them; unknown elements and attributes are ignored', () => {
    const e = envelope(block(`<request type="AUTH" foo="bar"><merchant><orderreference/><returnurl></returnurl><fax>1</fax></merchant>
      <billing><amount/><payment type=""/></billing><operation><sitereference>  </sitereference></operation>
      <unknown><deeper><still>x</still></deeper>text is fine in what is ignored</unknown></request><other>y</other>`));
    assert.deepEqual(e.request, [{
      requesttypedescriptions: ['AUTH'], orderreference: '', returnurl: '', baseamount: '', paymenttypedescription: '', sitereference: '',
    }]);
    // An amount without a currency, and a payment without a type, give only what is there.
    assert.deepEqual(envelope(block('<request><billing><amount>5</amount><payment/></billing></request>')).request, [{ baseamount: '5' }]);
  });

  test('predefined entities and character references decode; CDATA is literal text; comments and PIs vanish; values are trimmed', () => {
    const e = envelope(`<?xml version="1.0" encoding="utf-8"?>
<!-- a comment -->
<requestblock version=" 3.67 ">
<alias>
  a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos; &#65;&#x42;&#x1F600;
</alias>
<request type="AUTH">
<merchant><orderreference>x<!-- c -->y<![CDATA[ &amp; <z> ]]>w</orderreference>
<returnurl><![CDATA[https://shop.example/r?a=1&b=2]]></returnurl></merchant>
<billing><payment type="  ALI&amp;PAY  "/></billing>
</request>
<?ignored processing instruction?>
</requestblock>`);
    assert.deepEqual(e, {
      version: '3.67',
      alias: `a & b <c> "d" 'e' AB\u{1F600}`,
      request: [{
        requesttypedescriptions: ['AUTH'], orderreference: 'xy &amp; <z> w',
        returnurl: 'https://shop.example/r?a=1&b=2', paymenttypedescription: 'ALI&PAY',
      }],
    });
  });

  test('a byte order mark, CRLF line ends, and comments and PIs around the root are fine', () => {
    assert.deepEqual(envelope('\uFEFF<?xml version="1.0"?>\r\n<?xml-stylesheet href="a"?><!-- x -->\r\n<requestblock/>\r\n<!-- y --><?pi z?>\r\n'), { request: [] });
    assert.deepEqual(envelope('\r\n<requestblock>\r\n<alias>a\r\nb</alias>\r\n</requestblock>\r\n'), { alias: 'a\nb', request: [] });
  });
});

describe('what a requestblock may not do', () => {
  test('a DOCTYPE is refused before parsing, whatever its case or content', () => {
    for (const xml of [
      '<!DOCTYPE requestblock><requestblock/>',
      '<?xml version="1.0"?>\n<!doctype requestblock [ ]>\n<requestblock/>',
      '<!DOCTYPE requestblock [<!ENTITY a "b">]><requestblock><alias>&a;</alias></requestblock>',
      '<requestblock><!ENTITY a "b"><alias>&a;</alias></requestblock>',
      '<requestblock><! ELEMENT alias ANY><alias/></requestblock>',
      // Conservative on purpose: even inside a comment or CDATA, a declaration is not read.
      '<requestblock><!-- <!DOCTYPE x> --></requestblock>',
    ]) assert.deepEqual(parseRequestBlock(xml), REFUSED_DTD, xml);
  });

  test('an external entity is refused, never resolved', () => {
    const xxe = `<?xml version="1.0"?>
<!DOCTYPE requestblock [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<requestblock version="3.67"><alias>&x;</alias></requestblock>`;
    const r = parseRequestBlock(xxe);
    assert.deepEqual(r, REFUSED_DTD);
    assert.doesNotMatch(JSON.stringify(r), /root:/);
    // The entity declaration alone, with no DOCTYPE around it, is refused too.
    assert.deepEqual(parseRequestBlock('<!ENTITY x SYSTEM "file:///etc/passwd"><requestblock><alias>&x;</alias></requestblock>'), REFUSED_DTD);
  });

  test('billion laughs, and a ~1 MB body of nested entity references, are refused without expansion', () => {
    const defs = ['<!ENTITY lol "lol">'];
    for (let i = 1; i <= 9; i++) defs.push(`<!ENTITY lol${i} "${`&lol${i === 1 ? '' : i - 1};`.repeat(10)}">`);
    const laughs = `<?xml version="1.0"?>\n<!DOCTYPE requestblock [\n${defs.join('\n')}\n]>\n<requestblock><alias>&lol9;</alias></requestblock>`;
    assert.deepEqual(parseRequestBlock(laughs), REFUSED_DTD);

    const big = laughs.replace('&lol9;', '&lol9;'.repeat(170_000));
    assert.ok(big.length > 1_000_000);
    const r = parseRequestBlock(big);
    assert.deepEqual(r, REFUSED_DTD);
    assert.ok(JSON.stringify(r).length < 200, 'nothing was expanded into the answer');

    // The same references with no declaration at all are undefined entities: malformed, not expanded.
    const undeclared = block(`<alias>${'&lol9;'.repeat(170_000)}</alias>`);
    assert.ok(undeclared.length > 1_000_000);
    assert.deepEqual(malformed(undeclared, /undefined entity &lol9;/).errordata, ['requestblock/alias']);
  });

  test('malformed XML, in its many forms, is refused with 10205 and what was wrong', () => {
    const cases: [string, RegExp][] = [
      ['', /Start tag expected/],
      ['   \n ', /Start tag expected/],
      ['not xml at all', /not expected/],
      ['{"request":[]}', /not expected/],
      ['<requestblock>', /Unclosed tag/],
      ['<requestblock><request></requestblock>', /Expected closing tag/],
      ['<requestblock></request>', /Expected closing tag|not been opened/],
      ['<requestblock></requestblock>trailing', /Extra text/],
      ['<requestblock/>trailing', /content outside the root element/],
      ['<requestblock version="/>"/><!-- c --><?pi?> trailing', /content outside the root element/],
      ['<requestblock/><requestblock/>', /content outside the root element/],
      ['<requestblock></requestblock><requestblock/>', /content outside the root element/],
      ['<requestblock></requestblock><x></x>', /Multiple possible root/],
      ['<requestblock></requestblock>&lt;', /content outside the root element/],
      ['<requestblock/><?xml version="1.0"?>', /content outside the root element/],
      ['<?pi?><?xml version="1.0"?><requestblock/>', /XML declaration allowed only at the start|content outside/],
      ['<?;x?><requestblock/>', /content outside the root element/],
      ['<requestblock/><?<?pi x?>', /content outside the root element/],
      ['<requestblock/><!-- a -- b -->', /content outside the root element/],
      ['<requestblock><!-- unclosed comment </requestblock>', /./],
      ['<requestblock a="1" a="2"/>', /repeated/],
      ['<requestblock a=1/>', /./],
      ['<requestblock a="<"/>', /'<' in an attribute value/],
      ['<requestblock><! ></requestblock>', /'<!' that opens neither a comment nor CDATA/],
      ['<requestblock><!-x--></requestblock>', /'<!' that opens neither/],
      ['<requestblock><![CDATA x]]></requestblock>', /'<!' that opens neither/],
      ['<responseblock/>', /root element must be requestblock/],
      ['<tp:requestblock xmlns:tp="urn:x"/>', /root element must be requestblock/],
      [block('<request>AUTH</request>'), /request\[1\] holds text, not elements/],
      [block('stray text<request/>'), /text where an element is expected in requestblock/],
      [block('<request type="AUTH"><merchant>text<orderreference>a</orderreference></merchant></request>'), /text where an element is expected in requestblock\/request\[1\]\/merchant/],
      [block('<request type="AUTH"><billing><payment type="A">text</payment></billing></request>'), /text where an element is expected/],
      [block('<request type="AUTH"><merchant><orderreference><x/></orderreference></merchant></request>'), /element where text is expected in requestblock\/request\[1\]\/merchant\/orderreference/],
      [block('<request type="AUTH"><filter><sitereference><a/></sitereference></filter></request>'), /element where text is expected/],
      [block('<request><merchant><orderreference>a</orderreference><orderreference>b</orderreference></merchant></request>'), /orderreference given more than once/],
      [block('<alias>a</alias><alias>b</alias>'), /alias given more than once/],
      [block('<alias>&nbsp;</alias>'), /undefined entity &nbsp;/],
      [block('<alias>a & b</alias>'), /&/],
      [block('<alias>&#0;</alias>'), /not an XML character/],
      [block('<alias>&#xD800;</alias>'), /not an XML character/],
      [block('<alias>&#x110000;</alias>'), /not an XML character/],
      [block('<alias>a\u0001b</alias>'), /character XML 1.0 does not allow/],
      [block('<alias>\uD800</alias>'), /character XML 1.0 does not allow/],
      [block('<request type="AUTH"><constructor/></request>'), /./],
      ['<![CDATA[x]]><requestblock/>', /./],
    ];
    for (const [xml, what] of cases) malformed(xml, what);
    // Not a string at all (a door bug, but still an answer, not a throw).
    malformed(undefined as unknown as string);
    malformed(Buffer.from('<requestblock/>') as unknown as string);
  });

  test('a long run of whitespace inside a value is read in one pass', () => {
    // Regression: a trim regex ending in `[ \t\r\n]+$` took quadratic time on this.
    const e = envelope(block(`<alias> a${' '.repeat(500_000)}b </alias><request type="${' '.repeat(200_000)}AUTH${'\t'.repeat(200_000)}x"/>`));
    assert.equal(e.alias, `a${' '.repeat(500_000)}b`);
    assert.deepEqual(e.request, [{ requesttypedescriptions: [`AUTH${'\t'.repeat(200_000)}x`] }]);
  });

  test('nesting: 12 levels are read, a 13th is refused, and a very deep body stops early', () => {
    const nest = (levels: number) => `<requestblock>${'<a>'.repeat(levels - 1)}${'</a>'.repeat(levels - 1)}</requestblock>`;
    envelope(nest(12));
    malformed(nest(13), /nesting deeper than 12 levels/);
    malformed(`<requestblock>${'<a>'.repeat(11)}<b/>${'</a>'.repeat(11)}</requestblock>`, /nesting deeper than 12 levels/);
    malformed(nest(200_000), /nesting deeper than 12 levels/);
  });

  test('never throws: arbitrary strings', () => {
    const anyUtf16 = fc.array(fc.integer({ min: 0, max: 0xffff })).map((cs) => String.fromCharCode(...cs));
    fc.assert(fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), anyUtf16), (s) => {
      checkShape(parseRequestBlock(s));
    }), { numRuns: 2000 });
  });

  test('never throws: XML-ish strings from the pieces a requestblock is made of', () => {
    const piece = fc.oneof(
      fc.constantFrom(
        '<requestblock version="3.67">', '</requestblock>', '<requestblock/>', '<request type="AUTH">', '<request type="A,B">',
        '</request>', '<request/>', '<merchant>', '</merchant>', '<orderreference>', '</orderreference>', '<billing>', '</billing>',
        '<amount currencycode="EUR">', '</amount>', '<payment type="ALIPAY"/>', '<filter>', '</filter>', '<updates>', '</updates>',
        '<settlement>', '</settlement>', '<alias>', '</alias>', '<operation>', '</operation>', '<sitereference>', '</sitereference>',
        '&amp;', '&lt;', '&#65;', '&#x;', '&#99999999;', '&', ';', '<![CDATA[', ']]>', '<!--', '-->', '<?xml version="1.0"?>', '<?', '?>',
        '<!DOCTYPE', '<!ENTITY', '<!', '<', '>', '/>', '</', '"', "'", '=', ' ', '\n', '\r', '\t', '\u0000', '\uFEFF', '\uD800',
        '<constructor>', '<__proto__>', '<toString>', '<a:b>', '<#text>', '<:@>', 'type=', 'xmlns="x"',
      ),
      fc.string({ maxLength: 8 }),
    );
    fc.assert(fc.property(fc.array(piece, { maxLength: 60 }), (ps) => {
      checkShape(parseRequestBlock(ps.join('')));
    }), { numRuns: 3000 });
  });

  test('never throws: well-formed trees of any known or unknown elements, text and attributes', () => {
    const name = fc.constantFrom('requestblock', 'request', 'merchant', 'billing', 'amount', 'payment', 'name', 'first', 'filter',
      'updates', 'settlement', 'operation', 'alias', 'orderreference', 'customfield1', 'x', 'record', 'hasOwnProperty', 'valueOf');
    const txt = fc.string({ maxLength: 6 }).map((s) => s.replace(/[<&]/g, ''));
    const { node } = fc.letrec<{ node: string }>((tie) => ({
      node: fc.tuple(name, fc.option(fc.tuple(fc.constantFrom('type', 'currencycode', 'version'), txt)), fc.array(fc.oneof({ maxDepth: 6, depthSize: 'small' }, txt, tie('node')), { maxLength: 4 }))
        .map(([n, attr, kids]) => `<${n}${attr ? ` ${attr[0]}="${attr[1].replace(/"/g, '')}"` : ''}>${kids.join('')}</${n}>`),
    }));
    fc.assert(fc.property(node, (xml) => {
      checkShape(parseRequestBlock(xml));
      checkShape(parseRequestBlock(`<requestblock>${xml}</requestblock>`));
      checkShape(parseRequestBlock(`<requestblock><request type="AUTH">${xml}</request></requestblock>`));
    }), { numRuns: 1500 });
  });

  test('any text survives escaping into a field, trimmed', () => {
    const xmlChars = fc.string({ unit: 'binary' }).map((s) => s.replace(/[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, ''));
    const esc = (s: string) => s.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!).replace(/\r/g, '&#13;');
    fc.assert(fc.property(xmlChars, (s) => {
      const e = envelope(block(`<request type="AUTH"><merchant><orderreference>${esc(s)}</orderreference></merchant></request>`));
      assert.equal(e.request[0]?.orderreference, s.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, ''));
    }), { numRuns: 1000 });
  });
});

function checkShape(r: XmlParse): void {
  assert.equal(typeof r, 'object');
  if (r.ok) {
    assert.ok(Array.isArray(r.envelope.request));
    for (const q of r.envelope.request) assert.equal(Object.getPrototypeOf(q), Object.prototype);
  } else {
    assert.equal(r.errorcode, '10205');
    assert.match(r.errormessage, /^Malformed XML/);
    assert.ok(r.errordata.length > 0 && r.errordata.every((d) => typeof d === 'string'));
  }
}

// ---------------------------------------------------------------------------------------------

// Reads a rendered block back as a client would (numeric references decoded too); the raw reader
// keeps the whitespace around values, for round trips.
const readerOptions = {
  ignoreAttributes: false, attributeNamePrefix: '@', parseTagValue: false, htmlEntities: true,
  isArray: (name: string) => ['response', 'record', 'data'].includes(name),
};
const reader = new XMLParser(readerOptions);
const rawReader = new XMLParser({ ...readerOptions, trimValues: false });
type Node = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
function readBack(xml: string, raw = false): Node {
  assert.equal(XMLValidator.validate(xml), true, xml);
  return (raw ? rawReader : reader).parse(xml).responseblock as Node;
}

describe('rendering a responseblock', () => {
  test("Trust Payments' AUTH reply, rendered from its flat JSON form, is the seed exactly", () => {
    const xml = renderResponseBlock({ requestreference: 'Xd4nk260v', secrand: 'Z1W', response: [AUTH_REPLY_FLAT] });
    assert.equal(xml, SEED_AUTH_REPLY);
    const rb = readBack(xml);
    assert.equal(rb['@version'], '3.67');
    assert.equal(rb.requestreference, 'Xd4nk260v');
    assert.equal(rb.secrand, 'Z1W');
    const [res] = rb.response;
    assert.equal(res['@type'], 'AUTH');
    assert.equal(res.merchant.partnerid, '2088101122136241');
    assert.equal(res.merchant.operatorname, 'webservices@example.com');
    assert.equal(res.timestamp, '2017-03-16 17:34:16');
    assert.equal(res.settlement.settlestatus, '10');
    assert.deepEqual(res.billing.amount, { '#text': '1050', '@currencycode': 'EUR' });
    assert.equal(res.billing.payment['@type'], 'ALIPAY');
    assert.equal(res.live, '0');
    assert.equal(res.other.redirecturl, 'https://example.com');
    assert.equal(res.error.message, 'Ok');
    assert.equal(res.error.code, '0');
  });

  test('the version can be given; every response of a multi-request block is rendered in order', () => {
    const xml = renderResponseBlock({
      requestreference: 'r', version: '3.60', secrand: 's',
      response: [{ requesttypedescription: 'ACCOUNTCHECK', errorcode: '0' }, { requesttypedescription: 'AUTH', errorcode: '70000', errormessage: 'Decline' }],
    });
    assert.ok(xml.startsWith('<responseblock version="3.60">\n'));
    assert.deepEqual(readBack(xml).response.map((r: Node) => [r['@type'], r.error.code]), [['ACCOUNTCHECK', '0'], ['AUTH', '70000']]);
  });

  test('text and attribute values are escaped, and characters XML cannot carry are dropped', () => {
    const nasty = `<&>"'`;
    const xml = renderResponseBlock({
      requestreference: nasty, secrand: nasty, version: nasty,
      response: [{ requesttypedescription: nasty, orderreference: nasty, currencyiso3a: nasty, baseamount: nasty, paymenttypedescription: nasty,
        errormessage: 'a\u0000b\uFFFEc\uD800d\u0007e', errordata: [nasty] }],
    });
    assert.match(xml, /<orderreference>&lt;&amp;&gt;&quot;&apos;<\/orderreference>/);
    assert.match(xml, /<response type="&lt;&amp;&gt;&quot;&apos;">/);
    const rb = readBack(xml);
    const [res] = rb.response;
    assert.equal(rb['@version'], nasty);
    assert.equal(rb.requestreference, nasty);
    assert.equal(res['@type'], nasty);
    assert.equal(res.merchant.orderreference, nasty);
    assert.deepEqual(res.billing.amount, { '#text': nasty, '@currencycode': nasty });
    assert.equal(res.billing.payment['@type'], nasty);
    assert.equal(res.error.message, 'abcde');
    assert.deepEqual(res.error.data, [nasty]);
  });

  test('any string round-trips through a text element and an attribute, less what XML cannot carry', () => {
    const strip = (s: string) => s.replace(/[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '');
    fc.assert(fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (text, attr) => {
      const [res] = readBack(renderResponseBlock({
        requestreference: 'r', secrand: 's',
        response: [{ requesttypedescription: attr, orderreference: text }],
      }), true).response;
      assert.equal(res['@type'], strip(attr));
      assert.equal(res.merchant.orderreference, strip(text));
    }), { numRuns: 1000 });
  });

  test('TRANSACTIONQUERY records render as record elements, each with the same mapping', () => {
    const xml = renderResponseBlock({
      requestreference: 'W1', secrand: 'abc',
      response: [{
        requesttypedescription: 'TRANSACTIONQUERY', found: '2', errormessage: 'Ok', errorcode: '0',
        records: [
          { requesttypedescription: 'AUTH', transactionreference: '1-2-3', orderreference: 'o1', baseamount: '100', currencyiso3a: 'GBP',
            settlestatus: '100', settledtimestamp: '2026-01-02 10:00:00', settlebaseamount: '100', sitereference: 's', livestatus: '0',
            errorcode: '0', errormessage: 'Ok', records: [{ requesttypedescription: 'NESTED' }] },
          { requesttypedescription: 'REFUND', transactionreference: '1-2-4', parenttransactionreference: '1-2-3', baseamount: '40', errorcode: '0' },
        ],
      }],
    });
    const [res] = readBack(xml).response;
    assert.equal(res['@type'], 'TRANSACTIONQUERY');
    assert.equal(res.other.found, '2');
    assert.equal(res.error.code, '0');
    assert.equal(res.record.length, 2);
    const [a, b] = res.record;
    assert.equal(a['@type'], 'AUTH');
    assert.equal(a.transactionreference, '1-2-3');
    assert.equal(a.merchant.orderreference, 'o1');
    assert.deepEqual(a.billing.amount, { '#text': '100', '@currencycode': 'GBP' });
    assert.deepEqual(
      [a.settlement.settlestatus, a.settlement.settledtimestamp, a.settlement.settlebaseamount],
      ['100', '2026-01-02 10:00:00', '100'],
    );
    assert.equal(a.operation.sitereference, 's');
    assert.equal(a.live, '0');
    assert.equal(a.error.message, 'Ok');
    assert.equal(a.record, undefined, 'records are one level deep');
    assert.doesNotMatch(xml, /NESTED/);
    assert.equal(b['@type'], 'REFUND');
    assert.equal(b.operation.parenttransactionreference, '1-2-3');
    assert.equal(b.billing.amount, '40');
    // Records sit after the response's own groups and before its error, as in Trust Payments' replies.
    assert.ok(xml.indexOf('<other>') < xml.indexOf('<record ') && xml.lastIndexOf('</record>') < xml.lastIndexOf('<error>'));
  });

  test('errordata is one data element per entry; unknown keys go under other if they are XML names; empty groups and null values vanish', () => {
    const xml = renderResponseBlock({
      requestreference: 'r', secrand: 's',
      response: [{
        requesttypedescription: 'AUTH', errorcode: '30000', errormessage: 'Invalid field', errordata: ['baseamount', 'currencyiso3a'],
        authcode: 'A1', acquirerresponsecode: '00', interface: 'ALIPAY', investigation: undefined, merchantname: null,
        debug: 'kept', 'bad name': 'dropped', '1st': 'dropped', 'xmlthing': 'dropped', 'a:b': 'dropped', nested: { a: 1 }, list: ['x'],
        enrolled: 5, flag: true,
      }],
    });
    const [res] = readBack(xml).response;
    assert.deepEqual(res.error, { message: 'Invalid field', code: '30000', data: ['baseamount', 'currencyiso3a'] });
    assert.deepEqual(res.other, { authcode: 'A1', acquirerresponsecode: '00', interface: 'ALIPAY', debug: 'kept', enrolled: '5', flag: 'true' });
    for (const gone of ['merchant', 'operation', 'settlement', 'billing', 'live', 'transactionreference', 'timestamp', 'record']) {
      assert.equal(res[gone], undefined, gone);
    }
    assert.doesNotMatch(xml, /dropped|investigation|nested|<list/);
    // A response with nothing but its type is just the element.
    assert.equal(renderResponseBlock({ requestreference: 'r', secrand: 's', response: [{}] }),
      '<responseblock version="3.67">\n<requestreference>r</requestreference>\n<response>\n</response>\n<secrand>s</secrand>\n</responseblock>');
  });

  test('what it renders, the XML door reads back as the same values', () => {
    // Not the same schema (responses are not requests), but the escaping must agree both ways.
    const xml = renderResponseBlock({ requestreference: `a&b<c>"d"'e'\r\n`, secrand: 's', response: [] });
    const ref = /<requestreference>(.*)<\/requestreference>/s.exec(xml)![1]!;
    const e = envelope(block(`<alias>${ref}</alias>`));
    assert.equal(e.alias, `a&b<c>"d"'e'`);
  });
});
