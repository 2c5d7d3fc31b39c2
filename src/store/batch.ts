/**
 * Group commit for small statements every request makes (an API key's rate-limit count, an
 * Idempotency-Key's claim and its saved answer): callers that arrive while a statement is running
 * wait for the next one, which carries all of them. Under load one statement serves many requests;
 * alone, a caller waits for nothing but its own statement.
 */
export class Batcher<I, O> {
  private queue: { item: I; resolve: (o: O) => void; reject: (e: unknown) => void }[] = [];
  private running = 0;

  /** `run` gets the waiting items in arrival order and answers one output per item, in that order. */
  constructor(
    private readonly run: (items: I[]) => Promise<O[]>,
    private readonly opts: { maxBatch?: number; concurrency?: number; gather?: boolean } = {},
  ) {}

  add(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.pump();
    });
  }

  private gathering = false;

  private pump(): void {
    if (this.gathering) return;
    if (this.opts.gather && this.running < (this.opts.concurrency ?? 1) && this.queue.length > 0) {
      // A synchronous engine (PGlite) keeps the event loop while a statement runs, so nobody can
      // join the queue meanwhile: let the requests that arrived be read first.
      this.gathering = true;
      setImmediate(() => {
        this.gathering = false;
        this.send();
      });
      return;
    }
    this.send();
  }

  private send(): void {
    const concurrency = this.opts.concurrency ?? 1;
    while (this.running < concurrency && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.opts.maxBatch ?? 500);
      this.running++;
      void this.run(batch.map((b) => b.item)).then(
        (out) => batch.forEach((b, i) => b.resolve(out[i]!)),
        (err) => batch.forEach((b) => b.reject(err)),
      ).finally(() => {
        this.running--;
        this.pump();
      });
    }
  }
}
