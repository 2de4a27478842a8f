import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * An open financing request with the enterprise facts matching needs, kept in one row so that
 * reverse matching (a product against a million requests) reads one table through its match keys.
 * Written with the request, removed when it closes, updated when the enterprise's score changes.
 */
@Entity('matchable_request')
// Reverse matching reads through the request's match keys (an expression index, see
// migrations/*ReverseMatchKeys): TypeORM leaves it alone. The region index serves CLUSTER.
@Index('ix_matchable_request_match_keys', { synchronize: false })
@Index('ix_matchable_request_region', ['regionCode'])
@Index('ix_matchable_request_enterprise', ['enterpriseId'])
export class MatchableRequest {
  @PrimaryColumn({ type: 'bigint' })
  financingRequestId: string;

  @Column({ type: 'bigint' })
  enterpriseId: string;

  @Column({ type: 'numeric', precision: 17, scale: 2 })
  amount: string;

  @Column({ type: 'smallint' })
  termMonths: number;

  @Column({ type: 'varchar', length: 12, array: true })
  acceptableGuaranteeTypes: string[];

  @Column({ type: 'numeric', precision: 7, scale: 4 })
  maxRate: string;

  @Column({ type: 'date' })
  validUntil: string;

  @Column({ type: 'char', length: 6 })
  regionCode: string;

  @Column({ type: 'char', length: 4 })
  prefectureCode: string;

  @Column({ type: 'char', length: 2 })
  provinceCode: string;

  @Column({ type: 'char', length: 3 })
  industryCode: string;

  @Column({ type: 'varchar', length: 6 })
  scale: string;

  @Column({ type: 'smallint' })
  creditScore: number;

  @Column({ type: 'varchar', length: 3 })
  creditGrade: string;

  @Column({ type: 'boolean' })
  dishonestDebtor: boolean;

  @Column({ type: 'date' })
  establishedOn: string;

  @Column({ type: 'numeric', precision: 17, scale: 2 })
  annualRevenue: string;
}
