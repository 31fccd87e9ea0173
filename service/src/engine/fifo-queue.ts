// A fair first-in-first-out gate: one generation runs on an engine at a time (its session and
// KV cache are not shared), the rest wait in arrival order. A waiter whose signal aborts leaves
// the queue without ever running.

interface Waiter {
  grant: () => void;
  reject: (reason: unknown) => void;
}

export class FifoQueue {
  private readonly waiters: Waiter[] = [];
  private running = 0;

  constructor(readonly capacity = 1) {}

  get queued(): number {
    return this.waiters.length;
  }

  get active(): number {
    return this.running;
  }

  /** Resolves with a release function once this caller may run. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        const at = this.waiters.indexOf(waiter);
        if (at >= 0) this.waiters.splice(at, 1);
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        grant: () => {
          signal?.removeEventListener("abort", onAbort);
          this.running++;
          resolve(this.releaser());
        },
        reject,
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(waiter);
      this.pump();
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running--;
      this.pump();
    };
  }

  private pump(): void {
    while (this.running < this.capacity && this.waiters.length > 0) this.waiters.shift()?.grant();
  }
}
