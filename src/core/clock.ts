/** Time, injected so tests can move it; milliseconds since the epoch, like the seeds' `created`. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
