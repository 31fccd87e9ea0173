// The gateway's time: `now` for deadlines and cooldowns, `setTimer` for every timeout it arms
// (connect, first byte, first token, idle, total, health probes). Both come from createGateway's
// options, so a test moves one clock and no test races a real timer.

/** Arms `fn` to run after `ms`; the returned function disarms it. */
export type SetTimer = (fn: () => void, ms: number) => () => void;

export interface GatewayClock {
  now: () => number;
  setTimer: SetTimer;
}

export const realTimer: SetTimer = (fn, ms) => {
  const timer = setTimeout(fn, ms);
  return () => clearTimeout(timer);
};

export const realClock: GatewayClock = { now: () => Date.now(), setTimer: realTimer };

/** Rejects with `onTimeout()` unless `promise` settles within `ms` on the clock. */
export async function withDeadline<T>(
  clock: GatewayClock,
  promise: Promise<T>,
  ms: number,
  onTimeout: () => Error,
): Promise<T> {
  let disarm: (() => void) | undefined;
  const timeout = new Promise<never>((_, reject) => {
    disarm = clock.setTimer(() => reject(onTimeout()), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    disarm?.();
  }
}
