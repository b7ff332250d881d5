import type { Clock } from '../core/clock.js';
import { Errors } from '../core/errors.js';

/** The caller a limit counts against: the bearer key (or, without one, "anonymous"). */
export function callerKey(authorization: string | undefined): string {
  const m = authorization ? /^Bearer\s+(\S{1,256})/i.exec(authorization) : null;
  return m ? m[1] : 'anonymous';
}

/**
 * Requests per minute per key, as a token bucket (bursts up to the per-minute amount, refilled
 * continuously). In-process: with several server processes each enforces its own share.
 */
export class RequestRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perMinute: number,
    private readonly clock: Clock,
  ) {}

  /** Takes one request's token or throws 429 with `retry-after`. */
  take(key: string): void {
    const now = this.clock.nowMs();
    const rate = this.perMinute / 60_000;
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size > 100_000) this.buckets.clear();
      this.buckets.set(key, (b = { tokens: this.perMinute, at: now }));
    }
    b.tokens = Math.min(this.perMinute, b.tokens + (now - b.at) * rate);
    b.at = now;
    if (b.tokens < 1) {
      throw Errors.rateLimited(
        `Rate limit reached for requests: limit ${this.perMinute} per minute for this API key. Please try again in ${Math.ceil((1 - b.tokens) / rate / 1000)}s.`,
        (1 - b.tokens) / rate / 1000,
      );
    }
    b.tokens -= 1;
  }
}

/** Streams (SSE responses) open at once per key. */
export class StreamLimiter {
  private readonly open = new Map<string, number>();

  constructor(private readonly max: number) {}

  /** Reserves a stream slot or throws 429; the returned function gives it back (once). */
  acquire(key: string): () => void {
    const n = this.open.get(key) ?? 0;
    if (n >= this.max) {
      throw Errors.rateLimited(`Too many open streams: at most ${this.max} at once per API key. Close one or retry shortly.`, 1);
    }
    this.open.set(key, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.open.get(key) ?? 1) - 1;
      if (left <= 0) this.open.delete(key);
      else this.open.set(key, left);
    };
  }
}
