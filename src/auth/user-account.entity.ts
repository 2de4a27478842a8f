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
    'ENTERPRISE (bound to one enterprise), INSTITUTION_STAFF and INSTITUTION_ADMIN (bound to one institution; admins create staff), ANALYST (aggregates only), OPERATOR (platform operations).',
});

/** A person who signs in. The role says what they may do; the binding says for whom. */
@ObjectType({ simpleResolvers: true, implements: Node, description: '用户账号 — a user account.' })
@Entity('user_account')
@Check(
  'ck_user_account_binding',
  `(role = 'ENTERPRISE') = (enterprise_id IS NOT NULL) AND (role IN ('INSTITUTION_STAFF', 'INSTITUTION_ADMIN')) = (institution_id IS NOT NULL)`,
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

  @Field(() => AccountRole)
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

  @Field(() => Date)
  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Field(() => Date, {
    nullable: true,
    description: 'When an operator or institution admin disabled the account; null while it may sign in.',
  })
  @Column({ type: 'timestamptz', nullable: true })
  disabledAt: Date | null;
}
