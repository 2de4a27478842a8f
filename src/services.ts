import { DataSource } from 'typeorm';
import { EnterpriseService } from './enterprise/enterprise.service';
import { CreditService } from './credit/credit.service';
import { InstitutionService } from './institution/institution.service';
import { LoanProductService } from './product/loan-product.service';
import { FinancingRequestService } from './financing/financing-request.service';
import { LendingService } from './lending/lending.service';

/** The business services, stateless over one DataSource; used by resolvers, the CLI and jobs alike. */
export function createServices(dataSource: DataSource) {
  return {
    enterprise: new EnterpriseService(dataSource),
    credit: new CreditService(dataSource),
    institution: new InstitutionService(dataSource),
    product: new LoanProductService(dataSource),
    financing: new FinancingRequestService(dataSource),
    lending: new LendingService(dataSource),
  };
}

export type Services = ReturnType<typeof createServices>;
