import { availableParallelism } from 'node:os';
import { GraphQLError } from 'graphql';
import { codedError, ErrorCode } from '../common/errors';

/**
 * A bound on concurrent password hashing (scrypt holds a core for each hash, by design). At most
 * `concurrency` hashes run at once (one per core), at most `queueLimit` wait, and one client (IP)
 * holds at most `perClient` of those places, so a burst from one address cannot take all sign-in
 * capacity from the others. A full queue or a client over its share gets a typed, retryable refusal
 * at once instead of waiting behind the burst.
 */
export class HashingGate {
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly perClientHeld = new Map<string, number>();

  constructor(
    readonly concurrency = Math.max(1, availableParallelism()),
    readonly queueLimit = concurrency * 16,
    readonly perClient = Math.max(4, concurrency * 2),
  ) {}

  async run<T>(client: string, hash: () => Promise<T>): Promise<T> {
    const held = this.perClientHeld.get(client) ?? 0;
    if (held >= this.perClient)
      throw signInBusy(429, 'RATE_LIMITED', 'Too many sign-ins in progress from this address; retry after 1 s');
    if (this.running >= this.concurrency && this.waiting.length >= this.queueLimit) {
      throw signInBusy(503, 'SIGN_IN_BUSY', 'Sign-in is busy; retry after 1 s');
    }
    this.perClientHeld.set(client, held + 1);
    try {
      if (this.running >= this.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve));
      else this.running++;
      try {
        return await hash();
      } finally {
        // The place passes straight to the next waiter; `running` only drops when nobody waits.
        const next = this.waiting.shift();
        if (next) next();
        else this.running--;
      }
    } finally {
      const left = this.perClientHeld.get(client)! - 1;
      if (left === 0) this.perClientHeld.delete(client);
      else this.perClientHeld.set(client, left);
    }
  }
}

function signInBusy(status: number, code: ErrorCode, message: string): GraphQLError {
  return codedError(code, message, { status, headers: new Map([['retry-after', '1']]) });
}
