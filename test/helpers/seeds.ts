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
