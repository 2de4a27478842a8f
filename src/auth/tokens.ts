import { createHash, createSecretKey, KeyObject, randomBytes } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';

export interface TokenClaims {
  accountId: string;
  /** The sign-in session the token belongs to (auth_session.id): revoking it ends the token. */
  sessionId: string;
}

/** Verified tokens remembered per process; a client re-sends the same token on every request. */
const VERIFIED_TOKENS_KEPT = 10_000;
const DATABASE_ID = /^[1-9]\d{0,17}$/;

/** A refresh token: 32 random bytes, base64url. Only its SHA-256 is stored (refresh_token.token_hash). */
export function newRefreshToken(): { token: string; hash: Buffer } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: refreshTokenHash(token) };
}

export const refreshTokenHash = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

/**
 * Short-lived signed access tokens (HS256 JWT). They carry the account ID and the session ID only:
 * role, binding and whether the session still stands come from the database (AccountDirectory), so
 * a logout, a sign-out-everywhere or a disabled account takes effect on the next request.
 */
export class TokenService {
  private readonly key: KeyObject;
  /**
   * token → its claims and expiry. A signature check has one answer per token and secret, so
   * remembering it is safe; expiry is still checked on every use, the session by the caller.
   */
  private readonly verified = new Map<string, TokenClaims & { expiresAtMs: number }>();

  constructor(
    secret: string,
    readonly ttlSeconds: number,
  ) {
    this.key = createSecretKey(Buffer.from(secret, 'utf8'));
  }

  /** An access token for the session; it never outlives the session (`notAfter`). */
  async issue(accountId: string, sessionId: string, notAfter?: Date): Promise<{ token: string; expiresAt: Date }> {
    const now = Math.floor(Date.now() / 1000);
    const expires = Math.min(now + this.ttlSeconds, notAfter ? Math.floor(notAfter.getTime() / 1000) : Infinity);
    const token = await new SignJWT({ sid: sessionId })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(accountId)
      .setIssuer('credit-easy-loan')
      .setAudience('credit-easy-loan-api')
      .setIssuedAt(now)
      .setExpirationTime(expires)
      .sign(this.key);
    return { token, expiresAt: new Date(expires * 1000) };
  }

  /** The claims of a valid, unexpired token of ours; null for anything else. */
  async verify(token: string, now = Date.now()): Promise<TokenClaims | null> {
    const known = this.verified.get(token);
    if (known) {
      if (now < known.expiresAtMs) return { accountId: known.accountId, sessionId: known.sessionId };
      this.verified.delete(token);
      return null;
    }
    try {
      const { payload } = await jwtVerify(token, this.key, {
        issuer: 'credit-easy-loan',
        audience: 'credit-easy-loan-api',
        algorithms: ['HS256'],
        currentDate: new Date(now),
      });
      const { sub, sid, exp } = payload;
      if (typeof sub !== 'string' || !DATABASE_ID.test(sub) || typeof sid !== 'string' || !DATABASE_ID.test(sid))
        return null;
      if (typeof exp !== 'number') return null;
      if (this.verified.size >= VERIFIED_TOKENS_KEPT) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(token, { accountId: sub, sessionId: sid, expiresAtMs: exp * 1000 });
      return { accountId: sub, sessionId: sid };
    } catch {
      return null;
    }
  }
}
