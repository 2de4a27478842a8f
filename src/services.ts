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

/** The business services, stateless over one DataSource; used by resolvers, the CLI and jobs alike. */
export function createServices(
  dataSource: DataSource,
  config: Pick<AppConfig, 'jwtSecret' | 'accessTokenTtlSeconds'> & Partial<Pick<AppConfig, 'sessionTtlSeconds'>> = loadConfig(),
) {
  const matching = new MatchingService(dataSource);
  const auth = new AuthService(dataSource, new TokenService(config.jwtSecret, config.accessTokenTtlSeconds), config.sessionTtlSeconds);
  return {
    auth,
    matching,
    enterprise: new EnterpriseService(dataSource, auth),
    credit: new CreditService(dataSource),
    institution: new InstitutionService(dataSource, auth),
    product: new LoanProductService(dataSource),
    financing: new FinancingRequestService(dataSource, matching),
    lending: new LendingService(dataSource, matching),
    analytics: new AnalyticsService(dataSource),
  };
}

export type Services = ReturnType<typeof createServices>;
