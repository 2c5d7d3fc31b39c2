/**
 * What every front door refuses before any route runs. PostgreSQL (and PGlite) cannot hold U+0000
 * in text or jsonb, nor an unpaired UTF-16 surrogate in jsonb; such a string would reach the
 * store and come back as a driver error. Nesting deeper than any parameter has would exhaust the
 * stack of whatever walks the value next (schemas, canonical hashing, JSON.stringify). So the
 * check runs once, on params, query and body, and names the parameter as the doors name them.
 */
import type { FastifyRequest } from 'fastify';

/** Levels below a top-level parameter: `a[b][c][d][e][f][g][h][i]` is the deepest allowed, in forms as in JSON. */
export const MAX_NESTING = 8;

/** A request refused for its input; each door renders it in its own dialect (status 400). */
export class InputError extends Error {
  readonly statusCode = 400;
  readonly code = 'parameter_invalid';
  constructor(message: string, readonly param?: string) {
    super(message);
  }
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why the store could not hold this text, or undefined. */
export function textProblem(s: string): string | undefined {
  if (s.includes('\u0000')) return 'must not contain NUL characters (U+0000)';
  if (LONE_SURROGATE.test(s)) return 'must be valid Unicode text (it contains an unpaired UTF-16 surrogate)';
  return undefined;
}

/** A key as it can be shown back: the offending characters as escapes, long keys cut. */
function printable(key: string): string {
  const shown = key.replace(/\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return shown.length > 100 ? `${shown.slice(0, 100)}…` : shown;
}

/** `['a', 'b', '0']` → `a[b][0]`, Stripe's way of naming a parameter. */
function bracketName(path: readonly string[]): string {
  const [head, ...rest] = path;
  return (head ?? '') + rest.map((p) => `[${p}]`).join('');
}

export interface InputProblem {
  /** The parameter's bracket name; undefined for a body that is one string (signed raw bodies). */
  param?: string;
  message: string;
}

/**
 * The first string or key the store could not hold, or the first value nested too deep, in a
 * parsed value. Iterative, so it cannot itself run out of stack on what it is meant to refuse.
 */
export function inspectInput(value: unknown, prefix: readonly string[] = []): InputProblem | undefined {
  const describe = (path: readonly string[], why: string): InputProblem => {
    const param = path.length > 0 ? bracketName(path) : undefined;
    return { param, message: param ? `Invalid ${param}: ${why}.` : `The request body ${why}.` };
  };
  const stack: { v: unknown; path: string[] }[] = [{ v: value, path: [...prefix] }];
  while (stack.length > 0) {
    const { v, path } = stack.pop()!;
    if (typeof v === 'string') {
      const why = textProblem(v);
      if (why) return describe(path, why);
      continue;
    }
    // A file's bytes (a multipart part) are not text: the store keeps them as bytea.
    if (v === null || typeof v !== 'object' || v instanceof Uint8Array) continue;
    // The top-level parameter sits at depth 1 of the path (after any prefix such as a path param's name).
    if (path.length - prefix.length > MAX_NESTING) return describe(path, `is nested more than ${MAX_NESTING} levels deep`);
    const entries = Array.isArray(v) ? v.map((x, i) => [String(i), x] as const) : Object.entries(v as Record<string, unknown>);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [k, child] = entries[i]!;
      const why = textProblem(k);
      if (why) return describe([...path, printable(k)], `the name ${why}`);
      stack.push({ v: child, path: [...path, k] });
    }
  }
  return undefined;
}

/** The first problem in a request's path parameters, query string and body. */
export function inspectRequest(req: Pick<FastifyRequest, 'params' | 'query' | 'body'>): InputProblem | undefined {
  return inspectInput(req.params) ?? inspectInput(req.query) ?? inspectInput(req.body);
}

/** The preValidation hook every door runs: before auth-dependent work, idempotency claims and routes. */
export async function refuseHostileInput(req: FastifyRequest): Promise<void> {
  const problem = inspectRequest(req);
  if (problem) throw new InputError(problem.message, problem.param);
}

/** JSON.parse for body parsers: a syntax error is the client's (400), never ours. */
export function parseJsonBody(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new InputError(`Invalid JSON body: ${(err as Error).message}`);
  }
}
