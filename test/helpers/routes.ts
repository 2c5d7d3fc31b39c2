/** The routes a Fastify app serves, as the tests that must know every route read them. */

/** `METHOD /path/:param` for every route the app serves, read from its route tree. */
export function servedRoutes(tree: string): string[] {
  const parents: string[] = [];
  const out: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^([│ ]*)[├└]── (.*?)(?: \(([^)]*)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    const path = (depth === 0 ? '' : parents[depth - 1]!) + m[2]!;
    parents[depth] = path;
    const methods = (m[3] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    for (const method of methods) if (method !== 'HEAD' || !methods.includes('GET')) out.push(`${method} ${path}`);
  }
  return out;
}
