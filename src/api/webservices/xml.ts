// Placeholder replaced by the tp-xml branch (helper); types only so the door compiles meanwhile.
export interface Envelope { alias?: string; version?: string; request: Record<string, unknown>[] }
export type XmlParse =
  | { ok: true; envelope: Envelope }
  | { ok: false; errorcode: '10205'; errormessage: string; errordata: string[] };
export function parseRequestBlock(_xml: string): XmlParse {
  return { ok: false, errorcode: '10205', errormessage: 'Malformed XML', errordata: [] };
}
export function renderResponseBlock(r: { requestreference: string; version?: string; secrand: string; response: Record<string, unknown>[] }): string {
  return `<responseblock version="3.67"><requestreference>${r.requestreference}</requestreference></responseblock>`;
}
