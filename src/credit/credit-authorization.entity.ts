import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Field, ObjectType } from 'type-graphql';
import { Enterprise } from '../enterprise/enterprise.entity';
import { Institution } from '../institution/institution.entity';

/**
 * 信用授权: an enterprise lets an institution see its credit record details. Applying to one of
 * the institution's products grants it; the enterprise can revoke and grant again.
 */
@ObjectType({
  simpleResolvers: true,
  description: '信用授权 — an institution the enterprise lets see its credit record details.',
})
@Entity('credit_authorization')
@Index(['institutionId', 'enterpriseId'])
export class CreditAuthorization {
  @PrimaryColumn({ type: 'bigint' })
  enterpriseId: string;

  @ManyToOne(() => Enterprise, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'enterprise_id' })
  enterprise?: Enterprise;

  @PrimaryColumn({ type: 'bigint' })
  institutionId: string;

  @ManyToOne(() => Institution, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'institution_id' })
  institution?: Institution;

  @Field(() => Date, { description: 'When the enterprise authorised the institution (授权).' })
  @CreateDateColumn({ type: 'timestamptz' })
  grantedAt: Date;

  @Field(() => Date, {
    nullable: true,
    description: 'Set when the enterprise revoked it; the institution sees no details from then on.',
  })
  @Column({ type: 'timestamptz', nullable: true })
  revokedAt: Date | null;
}
