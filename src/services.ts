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
import { Clock, systemClock } from './common/clock';
import { DailyRescoring } from './credit/credit-scoring';

/** The business services, stateless over one DataSource; used by resolvers, the CLI and jobs alike. */
export function createServices(
  dataSource: DataSource,
  config: Pick<AppConfig, 'jwtSecret' | 'accessTokenTtlSeconds'> = loadConfig(),
  clock: Clock = systemClock,
) {
  const matching = new MatchingService(dataSource, clock);
  const auth = new AuthService(dataSource, new TokenService(config.jwtSecret, config.accessTokenTtlSeconds));
  const financing = new FinancingRequestService(dataSource, matching, clock);
  const credit = new CreditService(dataSource, clock);
  return {
    auth,
    matching,
    enterprise: new EnterpriseService(dataSource, auth, clock),
    credit,
    institution: new InstitutionService(dataSource, auth),
    product: new LoanProductService(dataSource),
    financing,
    lending: new LendingService(dataSource, matching, credit, clock),
    analytics: new AnalyticsService(dataSource),
    /**
     * What the passing of China days changes, idempotent and safe in several processes at once: run
     * by the server's periodic sweep and `npm run sweep:calendar`.
     */
    async calendarSweep(): Promise<{ expiredRequests: number; rescoring: DailyRescoring | null }> {
      return { expiredRequests: await financing.expireLapsedRequests(), rescoring: await credit.rescoreDueProfiles() };
    },
  };
}

export type Services = ReturnType<typeof createServices>;
