/**
 * Which URLs we will send merchants' webhooks to. A webhook is a request the gateway makes on a
 * key holder's behalf, so it must never become a way into the gateway's own host or network:
 *
 * - every address is classified by where it really leads: IPv6 forms that embed an IPv4 address
 *   (mapped, compatible, NAT64, 6to4, Teredo) are judged by that IPv4 address, because that is
 *   where the packets end up; odd IPv4 spellings (2130706433, 0x7f.1, 127.1) are normalised by
 *   WHATWG URL parsing and by the resolver before they get here;
 * - public addresses are allowed (live mode also wants https);
 * - loopback and private addresses only in test mode, and only when the operator allows them
 *   (WEBHOOK_ALLOW_PRIVATE_URLS, on by default for a gateway listening on loopback: development);
 * - link-local addresses (where cloud metadata services live) and every other special-purpose
 *   range of IANA's registries are never allowed.
 *
 * The check runs when an endpoint is saved and again on the address actually connected to at
 * each delivery, so a DNS answer that changed since (rebinding) cannot steer a delivery inside.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';

type Lookup = (host: string) => Promise<LookupAddress[]>;

const defaultLookup: Lookup = (host) =>
  new Promise((resolve, reject) => dnsLookup(host, { all: true }, (err, addrs) => (err ? reject(err) : resolve(addrs))));

export interface WebhookUrlPolicy {
  livemode: boolean;
  /** Test mode only: loopback and private addresses may receive webhooks. */
  allowPrivate: boolean;
}

export type AddressKind = 'public' | 'loopback' | 'private' | 'link_local' | 'reserved';

export interface AddressClass {
  kind: AddressKind;
  /** The IPv4 address an IPv6 form leads to, when it embeds one. */
  via?: string;
}

function v4ToInt(ip: string): number {
  return ip.split('.').reduce((n, part) => (n << 8) + Number(part), 0) >>> 0;
}

function intToV4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

// IANA IPv4 Special-Purpose Address Registry, plus multicast and the reserved 240/4.
const V4_RANGES: [string, number, AddressKind][] = [
  ['0.0.0.0', 8, 'reserved'], // "this network"; connecting to 0.0.0.0 reaches the local host on Linux
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'private'], // shared address space (carrier-grade NAT)
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link_local'], // 169.254.169.254: cloud metadata
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'], // IETF protocol assignments
  ['192.0.2.0', 24, 'reserved'], // TEST-NET-1
  ['192.88.99.0', 24, 'reserved'], // 6to4 relay anycast (deprecated)
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'reserved'], // benchmarking
  ['198.51.100.0', 24, 'reserved'], // TEST-NET-2
  ['203.0.113.0', 24, 'reserved'], // TEST-NET-3
  ['224.0.0.0', 4, 'reserved'], // multicast
  ['240.0.0.0', 4, 'reserved'], // reserved, and 255.255.255.255 broadcast
];

function classifyV4(n: number): AddressKind {
  for (const [base, bits, kind] of V4_RANGES) {
    if (n >>> (32 - bits) === v4ToInt(base) >>> (32 - bits)) return kind;
  }
  return 'public';
}

/** Eight 16-bit groups, or undefined when `ip` is not an IPv6 address. */
function v6Groups(ip: string): number[] | undefined {
  let s = ip.replace(/%.*$/, '').toLowerCase();
  if (isIP(s) !== 6) return undefined;
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (dotted) {
    const n = v4ToInt(dotted[2]!);
    s = `${dotted[1]}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const halves = s.split('::');
  const words = (part: string | undefined) => (part ? part.split(':').map((w) => parseInt(w, 16)) : []);
  if (halves.length === 1) return words(halves[0]);
  const head = words(halves[0]);
  const tail = words(halves[1]);
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

const embedded = (hi: number, lo: number) => ((hi << 16) | lo) >>> 0;

/**
 * For transition forms that are not globally reachable themselves: the embedded address's kind
 * when it is not public (so `::127.0.0.1` reads as loopback), else reserved.
 */
function viaDeprecated(n: number): AddressClass {
  const kind = classifyV4(n);
  return { kind: kind === 'public' ? 'reserved' : kind, via: intToV4(n) };
}

function classifyV6(g: number[]): AddressClass {
  const [g0, g1, g2, g3, g4, g5, g6, g7] = g as [number, number, number, number, number, number, number, number];
  const zeroTo = (i: number) => g.slice(0, i).every((w) => w === 0);
  if (zeroTo(8)) return { kind: 'reserved' }; // ::
  if (zeroTo(7) && g7 === 1) return { kind: 'loopback' }; // ::1
  if (zeroTo(5) && g5 === 0xffff) {
    const n = embedded(g6, g7); // IPv4-mapped: the socket talks IPv4 to this address
    return { kind: classifyV4(n), via: intToV4(n) };
  }
  if (zeroTo(6)) return viaDeprecated(embedded(g6, g7)); // IPv4-compatible (deprecated)
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) {
    const n = embedded(g6, g7); // NAT64 well-known prefix: the translator connects to this IPv4 address
    return { kind: classifyV4(n), via: intToV4(n) };
  }
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 1) return viaDeprecated(embedded(g6, g7)); // local-use NAT64
  if ((g0 & 0xfe00) === 0xfc00) return { kind: 'private' }; // unique local fc00::/7
  if ((g0 & 0xffc0) === 0xfe80) return { kind: 'link_local' }; // fe80::/10
  if ((g0 & 0xffc0) === 0xfec0) return { kind: 'private' }; // site-local fec0::/10 (deprecated)
  if ((g0 & 0xff00) === 0xff00) return { kind: 'reserved' }; // multicast
  // Outside 2000::/3 nothing is allocated for global unicast (100::/64 discard, 100:0:0:1::/64 dummy, …).
  if ((g0 & 0xe000) !== 0x2000) return { kind: 'reserved' };
  if (g0 === 0x2002) return viaDeprecated(embedded(g1, g2)); // 6to4
  // Teredo: the client's IPv4 address is stored inverted in the last 32 bits.
  if (g0 === 0x2001 && g1 === 0) return viaDeprecated(~embedded(g6, g7) >>> 0);
  if (g0 === 0x2001 && g1 < 0x200) {
    // 2001::/23 IETF protocol assignments: only these are globally reachable (IANA).
    const global =
      (g1 === 1 && g.slice(2, 7).every((w) => w === 0) && g7 >= 1 && g7 <= 3) // 2001:1::1-3 anycast
      || g1 === 3 // 2001:3::/32 AMT
      || (g1 === 4 && g2 === 0x112) // 2001:4:112::/48 AS112-v6
      || (g1 & 0xfff0) === 0x20 // 2001:20::/28 ORCHIDv2
      || (g1 & 0xfff0) === 0x30; // 2001:30::/28 DRIP
    return { kind: global ? 'public' : 'reserved' };
  }
  if (g0 === 0x2001 && g1 === 0xdb8) return { kind: 'reserved' }; // documentation
  if ((g0 & 0xfff0) === 0x3ff0) return { kind: 'reserved' }; // 3fff::/20 documentation
  if (g0 === 0x5f00) return { kind: 'reserved' }; // SRv6 SIDs
  return { kind: 'public' };
}

/** Where an IP address really leads; undefined when `ip` is not an IP address. */
export function classifyAddress(ip: string): AddressClass | undefined {
  const bare = ip.replace(/^\[|\]$/g, '');
  if (isIP(bare) === 4) return { kind: classifyV4(v4ToInt(bare)) };
  const groups = v6Groups(bare);
  return groups ? classifyV6(groups) : undefined;
}

/** Anything but a public address (or not an address at all). */
export function isPrivateAddress(ip: string): boolean {
  return classifyAddress(ip)?.kind !== 'public';
}

/** The gateway listens only on this machine (the development default). */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return h === 'localhost' || h.endsWith('.localhost') || classifyAddress(h)?.kind === 'loopback';
}

const KIND_NAMES: Record<AddressKind, string> = {
  public: 'a public address',
  loopback: 'a loopback address',
  private: 'a private address',
  link_local: 'a link-local address',
  reserved: 'a special-purpose address',
};

/**
 * Why a webhook may not be sent to this address under this policy, as words that follow the
 * address ("127.0.0.1 is …"); undefined when it may.
 */
export function refuseAddress(ip: string, policy: WebhookUrlPolicy): string | undefined {
  const c = classifyAddress(ip);
  if (!c) return 'is not an IP address';
  const what = c.via ? `is a form of ${c.via}, ${KIND_NAMES[c.kind]}` : `is ${KIND_NAMES[c.kind]}`;
  switch (c.kind) {
    case 'public':
      return undefined;
    case 'link_local':
      return `${what}; webhooks never go there (cloud metadata services live there)`;
    case 'reserved':
      return `${what}; webhooks never go there`;
    case 'loopback':
    case 'private':
      if (policy.livemode) return `${what}; live mode sends webhooks to public addresses only`;
      if (!policy.allowPrivate) return `${what}; test mode sends webhooks there only when the gateway runs with WEBHOOK_ALLOW_PRIVATE_URLS on`;
      return undefined;
  }
}

/** Why a URL may not receive webhooks under this policy; undefined when it may. */
export async function checkWebhookUrl(url: string, policy: WebhookUrlPolicy, lookup: Lookup = defaultLookup): Promise<string | undefined> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `${JSON.stringify(url.slice(0, 100))} is not an absolute URL`;
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return `only http and https URLs can receive webhooks (got ${u.protocol})`;
  if (u.username || u.password) return 'credentials in the URL are not allowed; check the Stripe-Signature header instead';
  if (url.length > 2048) return 'the URL is longer than 2048 characters';
  if (policy.livemode && u.protocol !== 'https:') return 'live mode webhooks must use https';
  // WHATWG parsing has already turned 2130706433, 0x7f.1 and 127.1 into 127.0.0.1.
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) {
    const why = refuseAddress(host, policy);
    return why ? `${u.hostname} ${why}` : undefined;
  }
  let addrs: LookupAddress[];
  try {
    addrs = await lookup(host);
  } catch (err) {
    // Test mode takes a name that does not resolve yet; each delivery checks what it resolves to then.
    return policy.livemode ? `${u.hostname} does not resolve (${(err as Error).message})` : undefined;
  }
  for (const a of addrs) {
    const why = refuseAddress(a.address, policy);
    if (why) return `${u.hostname} resolves to ${a.address}, which ${why}`;
  }
  return undefined;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for http.request that refuses what the policy refuses, on the addresses the socket
 * will connect to. Node skips `lookup` for IP literals: check those with `refuseAddress` first.
 */
export function guardedLookup(policy: WebhookUrlPolicy) {
  return (hostname: string, options: object, callback: LookupCallback) => {
    dnsLookup(hostname, options, (err, address, family) => {
      if (err) return callback(err, address as string, family);
      const list = Array.isArray(address) ? (address as LookupAddress[]) : [{ address: address as string, family: family ?? 4 }];
      for (const a of list) {
        const why = refuseAddress(a.address, policy);
        if (why) return callback(new Error(`refused: ${hostname} resolves to ${a.address}, which ${why}`), address as string, family);
      }
      callback(null, address as string, family);
    });
  };
}
