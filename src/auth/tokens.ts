import { createSecretKey, KeyObject } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';

export interface TokenClaims {
  accountId: string;
}

/** Verified tokens remembered per process; a client re-sends the same token on every request. */
const VERIFIED_TOKENS_KEPT = 10_000;

/**
 * Short-lived signed access tokens (HS256 JWT). They carry only the account ID: role and binding
 * come from the account (AccountDirectory), so a changed or removed account takes effect at once.
 */
export class TokenService {
  private readonly key: KeyObject;
  /**
   * token → its account and expiry. A signature check has one answer per token and secret, so
   * remembering it is safe; expiry is still checked on every use. Oldest entries go first.
   */
  private readonly verified = new Map<string, { accountId: string; expiresAtMs: number }>();

  constructor(
    secret: string,
    readonly ttlSeconds: number,
  ) {
    this.key = createSecretKey(Buffer.from(secret, 'utf8'));
  }

  async issue(accountId: string): Promise<{ token: string; expiresAt: Date }> {
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(accountId)
      .setIssuer('credit-easy-loan')
      .setAudience('credit-easy-loan-api')
      .setIssuedAt(now)
      .setExpirationTime(now + this.ttlSeconds)
      .sign(this.key);
    return { token, expiresAt: new Date((now + this.ttlSeconds) * 1000) };
  }

  /** The claims of a valid, unexpired token of ours; null for anything else. */
  async verify(token: string, now = Date.now()): Promise<TokenClaims | null> {
    const known = this.verified.get(token);
    if (known) {
      if (now < known.expiresAtMs) return { accountId: known.accountId };
      this.verified.delete(token);
      return null;
    }
    try {
      const { payload } = await jwtVerify(token, this.key, { issuer: 'credit-easy-loan', audience: 'credit-easy-loan-api', algorithms: ['HS256'], currentDate: new Date(now) });
      if (typeof payload.sub !== 'string' || !/^[1-9]\d{0,17}$/.test(payload.sub) || typeof payload.exp !== 'number') return null;
      if (this.verified.size >= VERIFIED_TOKENS_KEPT) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(token, { accountId: payload.sub, expiresAtMs: payload.exp * 1000 });
      return { accountId: payload.sub };
    } catch {
      return null;
    }
  }
}
