/** What every dashboard list reads from its query string: pages, cursors and a range of days. */

export const PAGE_SIZE = 25;
export const DAY_MS = 86_400_000;

/** A YYYY-MM-DD day as the start of that UTC day, in ms; undefined when it is not a date. */
export function dayStart(text: string | undefined): number | undefined {
  if (!text || !/^\d{4}-\d{2}-\d{2}$/.test(text)) return undefined;
  const ms = Date.parse(`${text}T00:00:00Z`);
  return Number.isFinite(ms) ? ms : undefined;
}

/** A cursor as the read model made it: short, URL-safe; anything else is ignored. */
export function cursorParam(v: string | undefined): string | undefined {
  return v && /^[A-Za-z0-9_-]{1,200}$/.test(v) ? v : undefined;
}

/**
 * The list's From and To days into `filter` (ms, To exclusive) and `form` (as typed); a day that
 * is not a date is named in `problems` and left out.
 */
export function readDays(q: Record<string, string | undefined>, filter: { from?: number; to?: number }, form: Record<string, string>, problems: string[]): void {
  const from = dayStart(q.from);
  const to = dayStart(q.to);
  if (q.from && from === undefined) problems.push(`"${q.from.slice(0, 40)}" is not a date (YYYY-MM-DD).`);
  if (q.to && to === undefined) problems.push(`"${q.to.slice(0, 40)}" is not a date (YYYY-MM-DD).`);
  if (from !== undefined) {
    filter.from = from;
    form.from = q.from!;
  }
  if (to !== undefined) {
    // "To" names the last day shown: everything before the next midnight.
    filter.to = to + DAY_MS;
    form.to = q.to!;
  }
}
