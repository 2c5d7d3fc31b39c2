/** Stripe's list object: `{object: "list", url, has_more, data}`. */
import type { Page } from '../../../core/store.js';

export async function listBody<T>(url: string, page: Page<T>, render: (item: T) => unknown | Promise<unknown>) {
  return { object: 'list' as const, url, has_more: page.has_more, data: await Promise.all(page.data.map(render)) };
}
