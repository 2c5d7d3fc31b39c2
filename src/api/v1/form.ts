/**
 * Stripe's bracket encoding (`a[b][0][c]=x`, `a[]=x`), as the official SDK and curl send it, for
 * form bodies and query strings. Digit keys stay object keys here (`metadata[0]=x` is a map);
 * the parameter schemas turn them into arrays where an array is expected.
 */

import { MAX_NESTING as MAX_DEPTH } from '../input.js';

const MAX_PARAMS = 1000;

/** A body or query string that cannot be read: the client's mistake, so every door answers 400. */
export class FormError extends Error {
  readonly statusCode = 400;
}

export type FormValue = string | FormValue[] | { [key: string]: FormValue };

function decode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    throw new FormError(`Malformed percent-encoding in ${JSON.stringify(s.slice(0, 40))}`);
  }
}

/** `a[b][]` → ['a', 'b', ''] */
function splitKey(key: string): string[] {
  const open = key.indexOf('[');
  if (open <= 0) return [key];
  const parts = [key.slice(0, open)];
  const re = /\[([^\[\]]*)\]/gy;
  re.lastIndex = open;
  let m: RegExpExecArray | null;
  let end = open;
  while ((m = re.exec(key))) {
    parts.push(m[1]!);
    end = re.lastIndex;
  }
  if (end !== key.length) throw new FormError(`Malformed parameter name ${JSON.stringify(key.slice(0, 80))}`);
  if (parts.length > MAX_DEPTH + 1) throw new FormError(`Parameter ${key.slice(0, 80)} is nested more than ${MAX_DEPTH} levels`);
  return parts;
}

export function parseForm(input: string): Record<string, FormValue> {
  const root: Record<string, FormValue> = Object.create(null);
  if (!input) return root;
  const pairs = input.split('&').filter((p) => p.length > 0);
  if (pairs.length > MAX_PARAMS) throw new FormError(`Too many parameters (more than ${MAX_PARAMS})`);
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const key = decode(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? '' : decode(pair.slice(eq + 1));
    const path = splitKey(key);
    let node: Record<string, FormValue> | FormValue[] = root;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i]!;
      if (seg === '__proto__' || seg === 'constructor' || seg === 'prototype') throw new FormError(`Forbidden parameter name ${key}`);
      const last = i === path.length - 1;
      if (Array.isArray(node)) {
        if (seg !== '') throw new FormError(`Parameter ${key} mixes [] with named keys`);
        if (last) node.push(value);
        else {
          const child: Record<string, FormValue> = Object.create(null);
          node.push(child);
          node = child;
        }
        continue;
      }
      if (seg === '' && i === 0) throw new FormError('Empty parameter name');
      const nextIsPush = path[i + 1] === '';
      if (last) {
        node[seg] = value;
      } else {
        let child: FormValue | undefined = node[seg];
        if (child === undefined || typeof child === 'string') {
          child = nextIsPush ? [] : Object.create(null);
          node[seg] = child!;
        }
        node = child as Record<string, FormValue> | FormValue[];
      }
    }
  }
  return root;
}
