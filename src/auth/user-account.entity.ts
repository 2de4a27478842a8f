import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { Node } from '../common/node';
import { Enterprise } from '../enterprise/enterprise.entity';
import { Institution } from '../institution/institution.entity';

export enum AccountRole {
  ENTERPRISE = 'ENTERPRISE',
  INSTITUTION_STAFF = 'INSTITUTION_STAFF',
  INSTITUTION_ADMIN = 'INSTITUTION_ADMIN',
  ANALYST = 'ANALYST',
  OPERATOR = 'OPERATOR',
}
registerEnumType(AccountRole, {
  name: 'AccountRole',
  description:
    'ENTERPRISE (bound to one enterprise), INSTITUTION_STAFF and INSTITUTION_ADMIN ' +
    '(bound to one institution; admins invite staff), ANALYST (aggregates only), OPERATOR (platform operations).',
  valuesConfig: {
    ENTERPRISE: { description: 'Acts for the one enterprise it is bound to (企业用户).' },
    INSTITUTION_STAFF: { description: 'Staff of one institution (机构员工).' },
    INSTITUTION_ADMIN: {
      description:
        'Administrator of one institution: also invites staff and sets the four-eyes threshold (机构管理员).',
    },
    ANALYST: { description: 'Sees aggregates only, no enterprise-identifying data (分析员).' },
    OPERATOR: { description: 'Runs the platform: onboards institutions, imports credit data (平台运营).' },
  },
});

/** A person who signs in. The role says what they may do; the binding says for whom. */
@ObjectType({ simpleResolvers: true, implements: Node, description: '用户账号 — a user account.' })
@Entity('user_account')
@Check(
  'ck_user_account_binding',
  `(role = 'ENTERPRISE') = (enterprise_id IS NOT NULL) AND ` +
    `(role IN ('INSTITUTION_STAFF', 'INSTITUTION_ADMIN')) = (institution_id IS NOT NULL)`,
)
export class UserAccount extends Node {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Field(() => String, { description: 'Sign-in email, stored lower-case.' })
  @Index({ unique: true })
  @Column({ type: 'varchar', length: 254 })
  email: string;

  /** scrypt, with its parameters and salt (see passwords.ts); never exposed. */
  @Column({ type: 'varchar', length: 200 })
  passwordHash: string;

  @Field(() => AccountRole, { description: 'What the account may do (角色).' })
  @Column({ type: 'enum', enum: AccountRole, enumName: 'account_role' })
  role: AccountRole;

  @Column({ type: 'bigint', nullable: true })
  enterpriseId: string | null;

  @ManyToOne(() => Enterprise, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'enterprise_id' })
  enterprise?: Enterprise;

  @Index()
  @Column({ type: 'bigint', nullable: true })
  institutionId: string | null;

  @ManyToOne(() => Institution, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'institution_id' })
  institution?: Institution;

  @Field(() => Date, { description: 'When the account was created.' })
  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Field(() => Date, {
    nullable: true,
    description: 'When an operator or institution admin disabled the account; null while it may sign in.',
  })
  @Column({ type: 'timestamptz', nullable: true })
  disabledAt: Date | null;
}
