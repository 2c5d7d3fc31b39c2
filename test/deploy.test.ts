/**
 * The deployment files (Dockerfile, compose.yaml, .dockerignore, the README's Production section)
 * against the code they deploy, so neither drifts from the other. No Docker daemon is needed: the
 * files are read as text, and the Dockerfile's HEALTHCHECK command is run with this Node against
 * a real gateway.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadConfig } from '../src/config.js';
import { startGateway } from './helpers/gateway.js';

const root = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');

/** The variables src/config.ts reads: the keys of its env schema. */
function configVariables(): Set<string> {
  const source = read('src/config.ts');
  const body = source.match(/const envSchema = z\.object\(\{\n([\s\S]*?)\n\}\);/)?.[1];
  assert.ok(body, 'src/config.ts still declares `const envSchema = z.object({ … });`');
  return new Set([...body.matchAll(/^ {2}([A-Z][A-Z0-9_]*):/gm)].map((m) => m[1]!));
}

/**
 * Variables the deployment files may name before the code that reads them has landed (empty now).
 * Once src/config.ts reads one, the test says to drop it from here, so the list cannot outlive
 * its reason.
 */
const PENDING = new Set<string>();

/** Set in the image but read by something other than our config. */
const NOT_OURS = new Map([['MALLOC_ARENA_MAX', "glibc's: two heaps, as `npm start` sets"]]);

function assertKnown(names: Iterable<string>, where: string): void {
  const known = configVariables();
  for (const name of names) {
    if (NOT_OURS.has(name)) continue;
    if (PENDING.has(name)) {
      assert.ok(!known.has(name), `${name} is read by src/config.ts now: drop it from PENDING in test/deploy.test.ts`);
      continue;
    }
    assert.ok(known.has(name), `${where} names ${name}, which src/config.ts does not read`);
  }
}

interface Instruction { op: string; args: string }

/** The Dockerfile's instructions, continuation lines joined and comments dropped, split into stages. */
function dockerfileStages(): Instruction[][] {
  const lines = read('Dockerfile').split('\n').filter((l) => !/^\s*#/.test(l)).join('\n').replace(/\\\n/g, ' ');
  const stages: Instruction[][] = [];
  for (const line of lines.split('\n')) {
    const m = line.trim().match(/^([A-Z]+)\s+(.*)$/);
    if (!m) continue;
    if (m[1] === 'FROM') stages.push([]);
    assert.ok(stages.length > 0, `${m[1]} before the first FROM`);
    stages.at(-1)!.push({ op: m[1]!, args: m[2]!.trim() });
  }
  return stages;
}

function dockerEnv(stage: Instruction[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { args } of stage.filter((i) => i.op === 'ENV')) {
    for (const pair of args.split(/\s+/)) {
      const m = pair.match(/^([A-Z_][A-Z0-9_]*)=(\S*)$/);
      assert.ok(m, `ENV ${pair}: write ENV as NAME=value pairs`);
      env[m[1]!] = m[2]!;
    }
  }
  return env;
}

type Yaml = string | Yaml[] | { [key: string]: Yaml };

/**
 * compose.yaml in the plain subset it is written in (block maps, lists of scalars, JSON-style
 * flow lists, full-line comments). Anything else (anchors, merge keys, block scalars) throws, so
 * a change the test cannot read is noticed instead of misread.
 */
function parseComposeYaml(text: string): Yaml {
  const lines = text.split('\n')
    .map((raw) => ({ indent: raw.length - raw.trimStart().length, text: raw.trim() }))
    .filter((l) => l.text !== '' && !l.text.startsWith('#'));
  let i = 0;
  const scalar = (s: string): Yaml => {
    if (s.startsWith('[')) return JSON.parse(s) as Yaml;
    if (/^".*"$|^'.*'$/.test(s)) return s.slice(1, -1);
    if (/^[&*!|>{]/.test(s) || / #/.test(s)) throw new Error(`compose.yaml: "${s}" is outside the plain YAML this test reads`);
    return s;
  };
  const block = (indent: number): Yaml => {
    if (lines[i]!.text.startsWith('- ')) {
      const list: Yaml[] = [];
      while (i < lines.length && lines[i]!.indent === indent && lines[i]!.text.startsWith('- ')) list.push(scalar(lines[i++]!.text.slice(2)));
      return list;
    }
    const map: Record<string, Yaml> = {};
    while (i < lines.length && lines[i]!.indent === indent) {
      const m = lines[i]!.text.match(/^([A-Za-z0-9_.-]+):(?:\s+(.*))?$/);
      if (!m) throw new Error(`compose.yaml: "${lines[i]!.text}" is outside the plain YAML this test reads`);
      i++;
      if (m[2] !== undefined) map[m[1]!] = scalar(m[2]);
      else if (i < lines.length && lines[i]!.indent > indent) map[m[1]!] = block(lines[i]!.indent);
      else map[m[1]!] = '';
    }
    return map;
  };
  const doc = block(0);
  if (i < lines.length) throw new Error(`compose.yaml: unexpected indentation at "${lines[i]!.text}"`);
  return doc;
}

const compose = () => parseComposeYaml(read('compose.yaml')) as any;

/** The README's Production section, up to the next second-level heading. */
function productionSection(): string {
  const readme = read('README.md');
  const start = readme.indexOf('\n## Production\n');
  assert.ok(start >= 0, 'the README has a Production section');
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

test('every variable the Dockerfile and compose.yaml give the gateway is one src/config.ts reads', () => {
  const known = configVariables();
  for (const name of ['PORT', 'HOST', 'DATA_DIR', 'DATABASE_URL', 'DATABASE_POOL_SIZE', 'WORKERS', 'BEHIND_PROXY']) {
    assert.ok(known.has(name), `the env schema was read (${name} found)`);
  }
  const stages = dockerfileStages();
  assertKnown(Object.keys(dockerEnv(stages.at(-1)!)), 'the Dockerfile');
  const services = compose().services;
  for (const name of ['migrate', 'gateway']) assertKnown(Object.keys(services[name].environment), `compose.yaml's ${name}`);
});

test("the Dockerfile's and compose.yaml's settings make a configuration the gateway accepts: several processes on PostgreSQL, reachable from outside", () => {
  const image = dockerEnv(dockerfileStages().at(-1)!);
  const gateway = compose().services.gateway;
  const config = loadConfig({ ...image, ...gateway.environment });
  assert.equal(config.host, '0.0.0.0', 'listens beyond the container');
  assert.ok(config.workers > 1, 'runs several processes');
  assert.ok(config.databaseUrl, 'on PostgreSQL, as WORKERS > 1 requires');
  assert.equal(new URL(config.databaseUrl!).hostname, 'postgres', 'the database is the compose service');
  assert.equal(gateway.ports.length, 1);
  assert.equal(gateway.ports[0].split(':').at(-1), String(config.port), 'the published port is the one the gateway listens on');
  // The image alone runs on PGlite in its volume.
  const alone = loadConfig(image);
  assert.equal(alone.databaseUrl, undefined);
  assert.equal(alone.dataDir, '/data');
});

test('the Dockerfile builds with dev dependencies and runs with production ones only, as the node user, starting `serve`', () => {
  const stages = dockerfileStages();
  assert.ok(stages.length >= 2, 'a build stage and a runtime stage');
  const [build, run] = [stages[0]!, stages.at(-1)!];
  const runs = (stage: Instruction[]) => stage.filter((i) => i.op === 'RUN').map((i) => i.args).join(' && ');
  assert.match(runs(build), /npm ci(?! --omit)/);
  assert.match(runs(build), /npm run build/);
  assert.match(runs(run), /npm ci --omit=dev/);
  assert.doesNotMatch(runs(run), /npm run build|npm install/);
  assert.ok(run.some((i) => i.op === 'COPY' && /--from=\S+/.test(i.args) && /dist\/src/.test(i.args)), 'the runtime copies the compiled dist/src');

  const users = run.filter((i) => i.op === 'USER').map((i) => i.args);
  assert.ok(users.length > 0, 'the runtime stage sets USER');
  assert.ok(!['root', '0', '0:0'].includes(users.at(-1)!), `runs as ${users.at(-1)}, not root`);
  const lastUser = run.map((i) => i.op).lastIndexOf('USER');
  assert.ok(!run.slice(lastUser).some((i) => i.op === 'RUN' && /chown|chmod/.test(i.args)), 'ownership is set up before dropping root');

  const cmd = JSON.parse(run.find((i) => i.op === 'CMD')!.args) as string[];
  assert.deepEqual(cmd, ['node', 'dist/src/cli.js', 'serve']);
  const pkg = JSON.parse(read('package.json')) as { bin: Record<string, string> };
  assert.equal(pkg.bin.opencashier, cmd[1], 'CMD runs the same file as `opencashier`');

  const image = dockerEnv(run);
  assert.ok(run.some((i) => i.op === 'EXPOSE' && i.args.split(/\s+/).includes(image.PORT!)), 'EXPOSE is the PORT the image sets');
  assert.ok(run.some((i) => i.op === 'VOLUME' && i.args.includes(image.DATA_DIR!)), 'DATA_DIR is a volume');
});

test("the images' Node satisfies package.json's engines", () => {
  const pkg = JSON.parse(read('package.json')) as { engines: { node: string } };
  const [, major, minor] = pkg.engines.node.match(/^>=(\d+)\.(\d+)/) ?? [];
  assert.ok(major, `engines.node is ">=X.Y…" (${pkg.engines.node})`);
  for (const stage of dockerfileStages()) {
    const from = stage[0]!.args;
    const m = from.match(/^node:(\d+)(?:\.(\d+))?[-\s]/);
    assert.ok(m, `FROM ${from}: an official node image with its major version in the tag`);
    const ok = Number(m[1]) > Number(major) || (Number(m[1]) === Number(major) && (m[2] === undefined || Number(m[2]) >= Number(minor)));
    assert.ok(ok, `FROM ${from} does not satisfy engines ${pkg.engines.node}`);
  }
});

test('compose.yaml applies the migrations once before the gateway starts, on a checked PostgreSQL with its data in a named volume', () => {
  const doc = compose();
  const { postgres, migrate, gateway } = doc.services;
  assert.deepEqual(migrate.command, ['node', 'dist/src/cli.js', 'migrate']);
  assert.equal(migrate.restart, 'no', 'runs once');
  assert.equal(gateway.depends_on.migrate.condition, 'service_completed_successfully');
  assert.equal(migrate.depends_on.postgres.condition, 'service_healthy');
  assert.equal(gateway.depends_on.postgres.condition, 'service_healthy');
  assert.equal(migrate.environment.DATABASE_URL, gateway.environment.DATABASE_URL, 'migrates the database the gateway uses');
  assert.equal(migrate.image, gateway.image, 'migrate and gateway are the same build');
  assert.equal(migrate.build, gateway.build);
  assert.match(postgres.image, /^postgres:\d+/);
  assert.match(postgres.healthcheck.test.join(' '), /pg_isready/);
  const volume = (postgres.volumes as string[]).find((v) => v.endsWith(':/var/lib/postgresql/data'))?.split(':')[0];
  assert.ok(volume && volume in doc.volumes, 'PostgreSQL keeps its data in a named volume');
  const url = new URL(gateway.environment.DATABASE_URL);
  assert.equal(decodeURIComponent(url.username), postgres.environment.POSTGRES_USER);
  assert.equal(decodeURIComponent(url.password), postgres.environment.POSTGRES_PASSWORD);
  assert.equal(url.pathname.slice(1), postgres.environment.POSTGRES_DB);
  for (const name of ['DATABASE_URL', 'PUBLIC_URL', 'WORKERS', 'METRICS_TOKEN']) assert.ok(name in gateway.environment, `the gateway's ${name} is there to change`);
});

test('.dockerignore keeps dependencies, builds, the data folder and git history out of the image', () => {
  const ignored = read('.dockerignore').split('\n').map((l) => l.trim().replace(/^\.?\//, '').replace(/\/$/, ''));
  const dataDir = loadConfig({}).dataDir.replace(/^\.\//, '');
  for (const entry of ['node_modules', 'dist', '.git', dataDir]) assert.ok(ignored.includes(entry), `.dockerignore lists ${entry}`);
});

test("the README's Production section names only variables src/config.ts reads, and the files it describes", () => {
  const section = productionSection();
  const code = [...section.matchAll(/```[\s\S]*?```|`[^`\n]+`/g)].map((m) => m[0]).join('\n');
  const named = new Set([...code.matchAll(/\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+(?:_\*)?|\b(?:PORT|HOST|WORKERS)\b/g)].map((m) => m[0]));
  for (const n of ['WORKERS', 'DATABASE_POOL_SIZE', 'PUBLIC_URL', 'BEHIND_PROXY', 'DATABASE_URL', 'METRICS_TOKEN', 'SHUTDOWN_TIMEOUT_MS']) {
    assert.ok(named.has(n), `the section says how to set ${n}`);
  }
  const known = configVariables();
  // `POSTGRES_*` are the postgres image's; any other `PREFIX_*` must be a prefix of ours.
  for (const n of named) {
    if (!n.endsWith('_*') || n.startsWith('POSTGRES_')) continue;
    assert.ok([...known].some((k) => k.startsWith(n.slice(0, -1))), `the README's Production section names ${n}, and src/config.ts reads no such variable`);
  }
  assertKnown([...named].filter((n) => !n.endsWith('_*') && !n.startsWith('POSTGRES_')), "the README's Production section");
  for (const phrase of ['docker compose up', '`Dockerfile`', '`compose.yaml`', 'opencashier migrate', 'GET /readyz', 'GET /healthz', 'pg_dump']) {
    assert.ok(section.includes(phrase), `the section mentions ${phrase}`);
  }
});

/** Runs the Dockerfile's HEALTHCHECK command line with this Node and the given PORT; resolves to its exit code. */
async function healthcheck(port: number): Promise<number> {
  const line = dockerfileStages().at(-1)!.find((i) => i.op === 'HEALTHCHECK')?.args;
  assert.ok(line, 'the runtime stage has a HEALTHCHECK');
  const json = line.match(/\bCMD\s+(\[.*\])$/)?.[1];
  assert.ok(json, 'HEALTHCHECK … CMD ["node", …] in exec form');
  const [program, ...args] = JSON.parse(json) as string[];
  assert.equal(program, 'node', 'slim images have no curl: node asks');
  assert.match(args.join(' '), /\/healthz/);
  return new Promise((resolve) => {
    const child = execFile(process.execPath, args, { env: { ...process.env, PORT: String(port) }, timeout: 10_000 });
    child.on('exit', (code) => resolve(code ?? -1));
  });
}

test("the Dockerfile's HEALTHCHECK passes against a running gateway and fails once it has stopped", async () => {
  const gw = await startGateway({ store: 'pglite' });
  let stopped = false;
  try {
    assert.equal(await healthcheck(gw.port), 0);
    await gw.stop();
    stopped = true;
    assert.equal(await healthcheck(gw.port), 1);
  } finally {
    if (!stopped) await gw.stop();
  }
});
