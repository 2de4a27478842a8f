import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A stored match (匹配结果): a product ranked for a request, with the rate quoted and the reasons. */
@Entity('product_match')
// A request's matches in rank order (match_score DESC, then rate, then product): a page is a short index range.
@Index('ix_product_match_rank', ['financingRequestId', 'matchScore', 'quotedRate', 'loanProductId'])
@Index(['loanProductId'])
export class ProductMatch {
  @PrimaryColumn({ type: 'bigint' })
  financingRequestId: string;

  @PrimaryColumn({ type: 'bigint' })
  loanProductId: string;

  /** Ranking score, 0–100, higher first (see src/matching/README.md). */
  @Column({ type: 'numeric', precision: 7, scale: 4 })
  matchScore: string;

  @Column({ type: 'numeric', precision: 7, scale: 4 })
  quotedRate: string;

  /** Components of the score and the incentive applied, for the explanation. */
  @Column({ type: 'jsonb' })
  reasons: Record<string, unknown>;

  @Column({ type: 'varchar', length: 20 })
  modelVersion: string;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  computedAt: Date;
}
