import { createHash, createSecretKey, KeyObject } from 'node:crypto';
import { jwtVerify } from 'jose';
import { toGlobalId } from '../common/global-id';

/** The registration a verifier is asked about: one claim on one USCC. */
export interface IdentityClaim {
  enterpriseId: string;
  uscc: string;
}

export type IdentityVerdict = { verified: true; evidence: string } | { verified: false; reason: string };

/**
 * A way to verify an enterprise's claim on its USCC (实名认证) from what the enterprise submits.
 * Implementations check the submission against an authority; EnterpriseService records the
 * verdict's evidence in the audit trail under `method`. Operators verify by review without one.
 */
export interface IdentityVerifier {
  readonly method: string;
  check(claim: IdentityClaim, submission: string): Promise<IdentityVerdict>;
}

export const ASSERTION_AUDIENCE = 'credit-easy-loan';
export const DEFAULT_ASSERTION_ISSUER = 'provincial-identity-service';

/**
 * A signed assertion from the provincial identity service (which checks the electronic business
 * licence or the legal representative's real name): a compact JWS, HS256, signed with the key the
 * platform shares with it (IDENTITY_ASSERTION_KEY). Its payload:
 *   iss  the service (IDENTITY_ASSERTION_ISSUER, default "provincial-identity-service")
 *   aud  "credit-easy-loan"
 *   sub  the USCC it vouches for
 *   claim  the ID of the registration (the Enterprise ID this API returned), so an assertion
 *        cannot be replayed for another registration of the same USCC
 *   jti, iat, exp  its own ID, issue and expiry times (at most a day old when submitted)
 *   legalRepresentative  optional, recorded with the evidence
 */
export class SignedAssertionVerifier implements IdentityVerifier {
  readonly method = 'IDENTITY_ASSERTION';
  private readonly key: KeyObject;

  constructor(
    key: string,
    private readonly issuer = DEFAULT_ASSERTION_ISSUER,
  ) {
    this.key = createSecretKey(Buffer.from(key, 'utf8'));
  }

  async check(claim: IdentityClaim, assertion: string): Promise<IdentityVerdict> {
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(assertion, this.key, {
        issuer: this.issuer,
        audience: ASSERTION_AUDIENCE,
        algorithms: ['HS256'],
        maxTokenAge: '1d',
        requiredClaims: ['sub', 'jti', 'iat', 'exp'],
      }));
    } catch {
      return { verified: false, reason: 'The assertion is not valid: signature, issuer, audience or time' };
    }
    if (payload.sub !== claim.uscc || payload.claim !== toGlobalId('Enterprise', claim.enterpriseId)) {
      return { verified: false, reason: 'The assertion is for another USCC or another registration' };
    }
    const representative =
      typeof payload.legalRepresentative === 'string'
        ? `; legal representative ${payload.legalRepresentative.slice(0, 100)}`
        : '';
    const digest = createHash('sha256').update(assertion).digest('hex');
    const issuedAt = new Date(Number(payload.iat) * 1000).toISOString();
    return {
      verified: true,
      evidence:
        `assertion ${String(payload.jti).slice(0, 100)} of ${this.issuer}, issued ${issuedAt}${representative}; ` +
        `sha256 ${digest}`,
    };
  }
}
