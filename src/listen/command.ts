/**
 * What `opencashier listen` and `opencashier trigger` share as clients of a running gateway: where
 * they print, how a bad command line is refused, and which gateway and key they use.
 */

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

export const stdio: Io = {
  out: (l) => process.stdout.write(l + '\n'),
  err: (l) => process.stderr.write(l + '\n'),
};

/** A bad command line: printed with the command's help, exit code 2. */
export class UsageError extends Error {}

/** `--api-base` (the serve banner prints the API as …/v1; both are taken) and `--api-key` with its env fallbacks. */
export function gatewayTarget(values: { 'api-base'?: string; 'api-key'?: string }, env: NodeJS.ProcessEnv): { apiBase: string; apiKey?: string } {
  const apiBase = (values['api-base'] ?? 'http://localhost:4242').replace(/\/+$/, '').replace(/\/v1$/, '');
  try {
    new URL(apiBase);
  } catch {
    throw new UsageError(`--api-base ${JSON.stringify(apiBase)} is not a URL`);
  }
  return { apiBase, apiKey: values['api-key'] || env.OPENCASHIER_API_KEY || env.OPENCASHIER_TEST_SECRET_KEY || undefined };
}

/** Parses with `parse`; prints the help or the usage error. Returns the options, or the exit code to end with. */
export function commandLine<T>(name: string, help: string, io: Io, parse: () => T | 'help'): T | number {
  let opts: T | 'help';
  try {
    opts = parse();
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.err(`opencashier ${name}: ${err.message}\n\n${help}`);
    return 2;
  }
  if (opts === 'help') {
    io.out(help);
    return 0;
  }
  return opts;
}
