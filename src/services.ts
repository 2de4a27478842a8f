import { DataSource } from 'typeorm';
import { AppConfig, loadConfig } from './common/config';
import { AuthService } from './auth/auth.service';
import { TokenService } from './auth/tokens';
import { EnterpriseService } from './enterprise/enterprise.service';
import { CreditService } from './credit/credit.service';
import { InstitutionService } from './institution/institution.service';
import { LoanProductService } from './product/loan-product.service';
import { FinancingRequestService } from './financing/financing-request.service';
import { LendingService } from './lending/lending.service';
import { MatchingService } from './matching/matching.service';
import { AnalyticsService } from './analytics/analytics.service';
import { IdentityVerificationService } from './enterprise/identity-verification.service';
import { SignedAssertionVerifier } from './enterprise/identity-verifier';
import { Actor } from './common/actor';

/** The business services, stateless over one DataSource; used by resolvers, the CLI and jobs alike. */
export function createServices(
  dataSource: DataSource,
  config: Pick<AppConfig, 'jwtSecret' | 'accessTokenTtlSeconds'> &
    Partial<Pick<AppConfig, 'sessionTtlSeconds' | 'identityAssertionKey' | 'identityAssertionIssuer'>> = loadConfig(),
) {
  const matching = new MatchingService(dataSource);
  const tokens = new TokenService(config.jwtSecret, config.accessTokenTtlSeconds);
  const auth = new AuthService(dataSource, tokens, config.sessionTtlSeconds);
  const { identityAssertionKey: key, identityAssertionIssuer: issuer } = config;
  const verifier = key ? new SignedAssertionVerifier(key, issuer) : null;
  const identity = new IdentityVerificationService(dataSource, verifier);
  const financing = new FinancingRequestService(dataSource, matching);
  const lending = new LendingService(dataSource, matching);
  identity.onChanged = () => auth.accounts.forgetEveryAccount();
  // A registration that lost its verification keeps no open need in the USCC's name.
  identity.onRevoked = async (enterpriseId, reason) => {
    const actor: Actor = { kind: 'ENTERPRISE', enterpriseId, verified: false };
    for (const financingRequestId of await financing.openRequestIdsOf(enterpriseId)) {
      await lending.withdrawFinancingRequest(actor, { financingRequestId, reason });
    }
  };
  return {
    auth,
    matching,
    identity,
    enterprise: new EnterpriseService(dataSource, auth),
    credit: new CreditService(dataSource),
    institution: new InstitutionService(dataSource, auth),
    product: new LoanProductService(dataSource),
    financing,
    lending,
    analytics: new AnalyticsService(dataSource),
  };
}

export type Services = ReturnType<typeof createServices>;
