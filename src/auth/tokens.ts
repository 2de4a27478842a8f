import { jwtVerify, SignJWT } from 'jose';

export interface TokenClaims {
  accountId: string;
}

/**
 * Short-lived signed access tokens (HS256 JWT). They carry only the account ID: role and binding
 * are read from the account on each request, so a changed or removed account takes effect at once.
 */
export class TokenService {
  private readonly key: Uint8Array;

  constructor(
    secret: string,
    readonly ttlSeconds: number,
  ) {
    this.key = new TextEncoder().encode(secret);
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
  async verify(token: string): Promise<TokenClaims | null> {
    try {
      const { payload } = await jwtVerify(token, this.key, { issuer: 'credit-easy-loan', audience: 'credit-easy-loan-api', algorithms: ['HS256'] });
      return typeof payload.sub === 'string' && /^[1-9]\d{0,17}$/.test(payload.sub) ? { accountId: payload.sub } : null;
    } catch {
      return null;
    }
  }
}
