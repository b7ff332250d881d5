/**
 * The loop every store-backed worker runs: claim work while there is capacity, and when there is
 * none to claim, sleep until `notify()` (work was queued here) or the poll interval (work queued
 * by another process, or leases that lapsed).
 */
export class ClaimLoop {
  private stopped = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly options: {
      pollMs: number;
      hasCapacity(): boolean;
      /** Claims and starts one unit of work; false when there was none. */
      claimOne(): Promise<boolean>;
      onError(err: unknown): void;
    },
  ) {}

  start(): void {
    this.loop = this.run();
  }

  /** Look for work now rather than at the next poll. */
  notify(): void {
    this.wake?.();
  }

  /** Stops claiming; resolves when the loop has returned (work already started goes on). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let claimed = false;
      if (this.options.hasCapacity()) {
        try {
          claimed = await this.options.claimOne();
        } catch (err) {
          this.options.onError(err);
        }
      }
      if (claimed) continue;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, this.options.pollMs);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }
}
