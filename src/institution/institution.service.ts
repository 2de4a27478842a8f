import { DataSource } from 'typeorm';
import { Actor } from '../common/actor';
import { BusinessRuleError, ForbiddenError } from '../common/errors';
import { Connection, PageRequest } from '../common/pagination';
import { ALL_ROWS, entityReader } from '../common/database/entity-reader';
import { Institution, InstitutionType } from './institution.entity';
import { AuthService, Credentials } from '../auth/auth.service';
import { AccountRole, UserAccount } from '../auth/user-account.entity';

export interface CreateInstitutionInput {
  name: string;
  type: InstitutionType;
  regionsServed: string[];
  responseDeadlineDays?: number | null;
  /** The institution's first admin account, created with it. */
  admin?: Credentials | null;
}

export class InstitutionService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly auth: AuthService,
  ) {}

  /** Onboarding (机构入驻) is the platform operator's job. */
  async createInstitution(
    actor: Actor,
    input: CreateInstitutionInput,
    client?: string,
  ): Promise<{ institution: Institution; admin: UserAccount | null }> {
    if (actor.kind !== 'OPERATOR' && actor.kind !== 'SYSTEM')
      throw new ForbiddenError('Only platform operators onboard institutions');
    const { admin: credentials, ...fields } = input;
    const admin = credentials ? await this.auth.newAccount(credentials, client, ['input', 'admin']) : null;
    return this.dataSource.transaction(async (manager) => {
      const result = await manager
        .getRepository(Institution)
        .createQueryBuilder()
        .insert()
        .values({
          ...fields,
          regionsServed: [...new Set(fields.regionsServed)],
          responseDeadlineDays: fields.responseDeadlineDays ?? 3,
        })
        .orIgnore()
        .returning('id')
        .execute();
      if (result.raw.length === 0)
        throw new BusinessRuleError('INSTITUTION_NAME_TAKEN', 'An institution with this name already exists', [
          'input',
          'name',
        ]);
      const id = String(result.raw[0].id);
      const role = AccountRole.INSTITUTION_ADMIN;
      const account = admin
        ? await this.auth.createAccount(manager, admin, role, { institutionId: id }, ['input', 'admin'])
        : null;
      return { institution: await manager.getRepository(Institution).findOneByOrFail({ id }), admin: account };
    });
  }

  /** The institution's admin sets (or clears, with null) the amount above which grants need four eyes. */
  async setFourEyesThreshold(actor: Actor, threshold: string | null): Promise<Institution> {
    if (actor.kind !== 'INSTITUTION' || !actor.admin)
      throw new ForbiddenError('Only an institution admin sets the four-eyes threshold');
    await this.dataSource
      .getRepository(Institution)
      .update({ id: actor.institutionId }, { fourEyesThreshold: threshold });
    return this.dataSource.getRepository(Institution).findOneByOrFail({ id: actor.institutionId });
  }

  /** Institutions are public: everyone may see who lends on the platform. */
  list(page: PageRequest): Promise<Connection<Institution>> {
    return entityReader(this.dataSource, Institution).page('self', ALL_ROWS, page);
  }

  /** An institution's own settings (the four-eyes threshold): its own staff and operators only. */
  seesInternals(actor: Actor, institutionId: string): boolean {
    if (actor.kind === 'OPERATOR' || actor.kind === 'SYSTEM') return true;
    return actor.kind === 'INSTITUTION' && actor.institutionId === institutionId;
  }
}
