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
