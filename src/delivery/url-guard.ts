/**
 * Which URLs we will send merchants' webhooks to. In live mode a URL must be https and every
 * address it resolves to public: we never let a webhook reach our own loopback or private network
 * (checked when the endpoint is saved and again, on the resolved address, at every delivery).
 * Test mode allows anything, localhost included, for development.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';

type Lookup = (host: string) => Promise<LookupAddress[]>;

const defaultLookup: Lookup = (host) =>
  new Promise((resolve, reject) => dnsLookup(host, { all: true }, (err, addrs) => (err ? reject(err) : resolve(addrs))));

function v4ToInt(ip: string): number {
  return ip.split('.').reduce((n, part) => (n << 8) + Number(part), 0) >>> 0;
}

const V4_BLOCKS: [string, number][] = [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
];

/** Loopback, private, link-local, carrier-grade NAT, documentation, multicast and reserved ranges. */
export function isPrivateAddress(ip: string): boolean {
  if (isIP(ip) === 4) {
    const n = v4ToInt(ip);
    return V4_BLOCKS.some(([base, bits]) => (n >>> (32 - bits)) === (v4ToInt(base) >>> (32 - bits)));
  }
  const v6 = ip.toLowerCase().replace(/^\[|\]$/g, '');
  const mapped = v6.match(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/);
  if (mapped) return isPrivateAddress(mapped[1]!);
  if (v6 === '::' || v6 === '::1') return true;
  const first = parseInt(v6.split(':')[0] || '0', 16);
  return (first & 0xfe00) === 0xfc00 /* fc00::/7 */ || (first & 0xffc0) === 0xfe80 /* fe80::/10 */ || (first & 0xff00) === 0xff00 /* multicast */;
}

/** Why a URL may not receive webhooks in this mode; undefined when it may. */
export async function checkWebhookUrl(url: string, livemode: boolean, lookup: Lookup = defaultLookup): Promise<string | undefined> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `${JSON.stringify(url.slice(0, 100))} is not an absolute URL`;
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return `only http and https URLs can receive webhooks (got ${u.protocol})`;
  if (u.username || u.password) return 'credentials in the URL are not allowed; check the Stripe-Signature header instead';
  if (url.length > 2048) return 'the URL is longer than 2048 characters';
  if (!livemode) return undefined;
  if (u.protocol !== 'https:') return 'live mode webhooks must use https';
  let addrs: LookupAddress[];
  try {
    addrs = await lookup(u.hostname.replace(/^\[|\]$/g, ''));
  } catch (err) {
    return `${u.hostname} does not resolve (${(err as Error).message})`;
  }
  const bad = addrs.find((a) => isPrivateAddress(a.address));
  return bad ? `${u.hostname} resolves to ${bad.address}, a private or loopback address, which live mode refuses` : undefined;
}

/**
 * A `lookup` for http.request that refuses private addresses in live mode: the check happens on
 * the address actually connected to, so a DNS answer that changed since the endpoint was saved
 * cannot steer a delivery inside.
 */
export function guardedLookup(livemode: boolean) {
  return (hostname: string, options: object, callback: (err: Error | null, address: string | LookupAddress[], family?: number) => void) => {
    dnsLookup(hostname, options, (err, address, family) => {
      if (err) return callback(err, address as string, family);
      const list = Array.isArray(address) ? (address as LookupAddress[]) : [{ address: address as string, family: family ?? 4 }];
      if (livemode && list.some((a) => isPrivateAddress(a.address))) {
        return callback(new Error(`refused: ${hostname} resolves to a private or loopback address`), address as string, family);
      }
      callback(null, address as string, family);
    });
  };
}
