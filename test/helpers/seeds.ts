/** The request bodies of seeds 000 and 003, verbatim (the English JSON is canonical). */

export const SEED_000_WEB = {
  amount: 20,
  currency: 'CNY',
  confirm: true,
  payment_method_options: { alipay: { client_ip: '192.168.0.1', terminal_type: 'WEB', os_type: 'IOS' } },
  payment_method_data: { type: 'alipay' },
  payment_method_types: ['alipay'],
  return_url: 'https://wooshpay.com',
};

export const SEED_000_APP = {
  amount: 20,
  currency: 'CNY',
  confirm: true,
  payment_method_options: { alipay: { client_ip: '192.168.0.1', terminal_type: 'APP', os_type: 'IOS' } },
  payment_method_data: { type: 'alipay' },
  payment_method_types: ['alipay'],
  return_url: 'https://wooshpay.com',
};

export const SEED_003_ALIPAYPLUS = {
  amount: 200,
  currency: 'IDR',
  confirm: true,
  payment_method_options: { alipayplus: { terminal_type: 'WEB' } },
  payment_method_data: { type: 'alipayplus' },
  return_url: 'https://wooshpay.com',
};

/** The Checkout Session requests of seeds 000 and 003, verbatim. */
export const SEED_000_CHECKOUT = {
  cancel_url: 'www.baidu.com',
  mode: 'payment',
  success_url: 'https://wooshpay.com/',
  payment_method_types: ['alipay'],
  line_items: [{
    price_data: { currency: 'CNY', unit_amount: 100000, active: true, product_data: { name: 'taiwan fengli' }, billing_scheme: 'testscheme', lookup_key: 'test_lookup_key' },
    quantity: 1,
  }],
};

export const SEED_003_CHECKOUT = {
  cancel_url: 'www.baide.com',
  mode: 'payment',
  success_url: 'www.wooshpay.com',
  payment_method_options: { alipayplus: { terminal_type: 'WEB' } },
  line_items: [{
    price_data: {
      currency: 'GBP', product: null, unit_amount: 5, active: true, metadata: { key1: 'value1', key2: 'value2' }, nickname: 'fengli',
      product_data: { id: null, name: 'taiwan fengli', active: true, description: 'very delicious', metadata: { key1: 'value1', key2: 'value2' }, url: 'www.baidu.com' },
      billing_scheme: 'testscheme', lookup_key: 'test_lookup_key',
    },
    quantity: 1,
  }],
};

/** Seed 004 (Trust Payments, Alipay): the e-commerce AUTH request as its curl example posts it. */
export const SEED_004_AUTH = {
  currencyiso3a: 'EUR',
  requesttypedescriptions: ['AUTH'],
  accounttypedescription: 'ECOM',
  sitereference: 'test_site12345',
  baseamount: '1050',
  paymenttypedescription: 'ALIPAY',
  returnurl: 'https://www.example.com/return',
  billingcountryiso2a: 'DE',
  orderreference: 'My_Order_123',
};

/** Seed 004: the WAP (phone) AUTH. */
export const SEED_004_AUTH_WAP = { ...SEED_004_AUTH, applicationtype: 'WAP' };

/** Seed 004's JSON envelope (the alias is the webservices user). */
export const SEED_004_ENVELOPE = { alias: 'webservices@example.com', version: '1.00', request: [SEED_004_AUTH] };

/** The keys of seed 004's AUTH reply item, in its order. */
export const SEED_004_AUTH_REPLY_KEYS = [
  'transactionreference', 'merchantname', 'paymenttypedescription', 'orderreference', 'settleduedate', 'baseamount',
  'transactionstartedtimestamp', 'errormessage', 'settlestatus', 'accounttypedescription', 'errorcode', 'redirecturl',
  'requesttypedescription', 'operatorname', 'livestatus', 'currencyiso3a', 'partner id',
];

/** Seed 004's XML AUTH request (e-commerce). */
export const SEED_004_XML = `<requestblock version="3.67">
<alias>webservices@example.com</alias>
<request type="AUTH">
<merchant>
<orderreference>MyOrder123</orderreference>
<returnurl>https://www.example.com/return</returnurl>
</merchant>
<billing>
<amount currencycode="EUR">1050</amount>
<payment type="ALIPAY"/>
</billing>
<operation>
<sitereference>test_site12345</sitereference>
<accounttypedescription>ECOM</accounttypedescription>
</operation>
</request>
</requestblock>`;

/** Seed 004's XML AUTH request for the WAP interface. */
export const SEED_004_XML_WAP = SEED_004_XML.replace(
  '<accounttypedescription>ECOM</accounttypedescription>',
  '<accounttypedescription>ECOM</accounttypedescription>\n<applicationtype>WAP</applicationtype>',
);
