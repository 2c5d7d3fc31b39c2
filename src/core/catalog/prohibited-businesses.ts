/**
 * The business categories that may not take Alipay or Alipay+ payments, as data in one place, and
 * the rule that reads it (seed 000: "your business can't … appear on Alipay's prohibited business
 * list").
 *
 * Where this comes from, and how sure it is:
 * - Alipay's own rule: "Risk Management Requirements for Overseas Acquirers", §1.1(a)(i): acquirers
 *   "must not onboard any Merchants who sell Prohibited Products specified in Annex I"
 *   (https://global.alipay.com/docs/ac/Platform/le18gg, last updated 2019-04-30; read 2026-11-30).
 *   The text of Annex I itself could not be read from here, so the list below is NOT copied from
 *   Alipay.
 * - The category names below are those of the prohibited-businesses list published by Pockyt
 *   (formerly Yuansfer), an Alipay acquirer, whose list follows Alipay's (it names "Cashback from
 *   Alipay account"): https://info.yuansfer.com/knowledge/prohibited-businesses-list (read
 *   2026-11-30). Only its first 46 entries could be read; later ones are not here.
 * - The MCCs are ours, not Alipay's: the ISO 18245 merchant category codes that plainly serve
 *   such a business (7995 betting and casino gambling, 7800–7802 lotteries, internet gambling and
 *   licensed racing, 5933 pawn shops, 5993 tobacco stores, 6051 quasi-cash and currency,
 *   6211 security brokers, 6300 insurance, 7273 dating and escort services, 8398 charities, 8661
 *   religious organisations). A category with no code that fits it well has none: it matches by
 *   name only.
 * Alipay decides in the end: a merchant whose category is wrongly listed (or missing) changes its
 * business profile (`opencashier business set`), and Antom still refuses what Alipay refuses.
 */

export interface ProhibitedBusiness {
  /** Stable id, accepted by `opencashier business set --category` like the name. */
  id: string;
  name: string;
  /** ISO 18245 codes that mean this business (our mapping, see above). */
  mccs: readonly string[];
}

export const PROHIBITED_BUSINESSES_SOURCE = {
  rule: 'https://global.alipay.com/docs/ac/Platform/le18gg',
  list: 'https://info.yuansfer.com/knowledge/prohibited-businesses-list',
  read: '2026-11-30',
} as const;

const p = (id: string, name: string, mccs: string[] = []): ProhibitedBusiness => ({ id, name, mccs });

export const PROHIBITED_BUSINESSES: readonly ProhibitedBusiness[] = [
  p('religious', 'Religious websites, publications or accessories', ['8661']),
  p('prescription_medicine', 'Anesthetic, psychotropic or prescription medicine; illegal unregistered medicine'),
  p('aphrodisiacs', 'Aphrodisiacs'),
  p('cultural_relics', 'Archaeological and cultural relics'),
  p('batons', 'Batons and electric batons'),
  p('alipay_cashback', 'Cashback from Alipay accounts'),
  p('charities', 'Charitable organizations', ['8398']),
  p('counterfeit_currency', 'Counterfeit currency'),
  p('counterfeit_food', 'Counterfeit or replica food products'),
  p('crowdfunding', 'Crowdfunding'),
  p('crude_oil', 'Crude oil'),
  p('donations', 'Donations'),
  p('espionage_equipment', 'Espionage equipment and accessories'),
  p('fetal_gender_determination', 'Fetal gender determination'),
  p('financial_products', 'Financial products and services'),
  p('fireworks', 'Fireworks and firecrackers'),
  p('foreign_exchange', 'Foreign exchange services', ['6051']),
  p('gambling', 'Gambling', ['7995', '7801', '7802']),
  p('gambling_devices', 'Gambling devices and accessories'),
  p('gold_investment', 'Gold investment'),
  p('hacking', 'Hacking services or accessories'),
  p('human_organs', 'Human organs'),
  p('unregistered_fundraising', 'Illegal or unregistered fund-raising'),
  p('illegal_political_publications', 'Illegal political products and publications'),
  p('illegal_political_channels', 'Illegal political program channels'),
  p('forged_certificates', 'Illegal certificates or carving of stamps'),
  p('financial_information_sale', 'Sale of financial information (bank accounts, bank cards)'),
  p('proceeds_of_crime', 'Proceeds or property obtained by crime'),
  p('insurance', 'Insurance products and platforms', ['6300']),
  p('lock_picking', 'Lock picking tools and accessories'),
  p('lottery', 'Lottery', ['7800']),
  p('lucky_draws', 'Lucky draws'),
  p('malware', 'Malware'),
  p('military_police_equipment', 'Military or police equipment'),
  p('mutual_funds', 'Mutual funds', ['6211']),
  p('narcotics', 'Narcotics and related accessories'),
  p('online_cemeteries', 'Online cemeteries and ancestor worshipping'),
  p('online_medical_services', 'Online sale of medical services (consulting, hypnotherapy, plastic surgery)'),
  p('online_tobacco', 'Online sale of tobacco and cigarettes', ['5993']),
  p('pawn', 'Pawn services', ['5933']),
  p('installments', 'Payment by instalments services'),
  p('p2p_lending', 'Peer-to-peer (P2P) lending'),
  p('hazardous_chemicals', 'Poisonous or hazardous chemicals'),
  p('pornographic_products', 'Pornographic and vulgar audio-visual products, channels and publications'),
  p('erotic_services', 'Pornographic and vulgar erotic services', ['7273']),
  p('protected_species', 'Protected species'),
];

/** What the merchant says its business is: a category code, a category, or both. */
export interface BusinessProfile {
  mcc: string | null;
  category: string | null;
}

export const NO_BUSINESS_PROFILE: BusinessProfile = { mcc: null, category: null };

/** A four-digit ISO 18245 merchant category code. */
export function isMcc(s: string): boolean {
  return /^\d{4}$/.test(s);
}

const norm = (s: string) => s.trim().toLowerCase().replace(/[\s_-]+/g, ' ');

/** The listed category a name or id names, if any. */
export function findCategory(name: string): ProhibitedBusiness | undefined {
  const n = norm(name);
  return PROHIBITED_BUSINESSES.find((b) => norm(b.id) === n || norm(b.name) === n);
}

/** Why this business may not use Alipay or Alipay+, or undefined when it may. */
export function prohibitedBusiness(profile: BusinessProfile): { entry: ProhibitedBusiness; by: 'mcc' | 'category' } | undefined {
  if (profile.mcc) {
    const entry = PROHIBITED_BUSINESSES.find((b) => b.mccs.includes(profile.mcc!));
    if (entry) return { entry, by: 'mcc' };
  }
  if (profile.category) {
    const entry = findCategory(profile.category);
    if (entry) return { entry, by: 'category' };
  }
  return undefined;
}

/** "MCC 7995, category "Casino"" or "not set". */
export function describeProfile(profile: BusinessProfile): string {
  const parts = [profile.mcc ? `MCC ${profile.mcc}` : '', profile.category ? `category "${profile.category}"` : ''].filter(Boolean);
  return parts.length ? parts.join(', ') : 'not set';
}

/** The sentence a refused payment and the start banner both say. */
export function prohibitedMessage(profile: BusinessProfile): string | undefined {
  const hit = prohibitedBusiness(profile);
  if (!hit) return undefined;
  return `This account's business (${describeProfile(profile)}) is on Alipay's prohibited-business list as "${hit.entry.name}", `
    + 'so Alipay and Alipay+ cannot be used. If that is wrong, change it with `opencashier business set --mcc <code>` or '
    + '`--category <name>`, or on the dashboard\'s Developers page.';
}
