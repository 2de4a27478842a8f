import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { Node } from '../common/node';
import { ApplicationStatus } from './application.entity';

/** What happened to an application: a transition, or a step of its credit grant that leaves the status as it was. */
export enum ApplicationEventType {
  SUBMITTED = 'SUBMITTED',
  CLAIMED = 'CLAIMED',
  ACCEPTED = 'ACCEPTED',
  DECLINED = 'DECLINED',
  WITHDRAWN = 'WITHDRAWN',
  EXPIRED = 'EXPIRED',
  CREDIT_GRANT_PROPOSED = 'CREDIT_GRANT_PROPOSED',
  CREDIT_GRANT_SELF_APPROVAL_REFUSED = 'CREDIT_GRANT_SELF_APPROVAL_REFUSED',
  CREDIT_GRANT_LAPSED = 'CREDIT_GRANT_LAPSED',
  CREDIT_GRANTED = 'CREDIT_GRANTED',
  DISBURSED = 'DISBURSED',
}
registerEnumType(ApplicationEventType, {
  name: 'ApplicationEventType',
  description: 'What happened to an application (one entry of its audit trail, 审计轨迹).',
  valuesConfig: {
    SUBMITTED: { description: '申请 — the enterprise applied to the product.' },
    CLAIMED: { description: '抢单 — the institution claimed the need for its product.' },
    ACCEPTED: { description: '受理 — the institution accepted the application.' },
    DECLINED: { description: '拒绝 — the institution declined, with a reason.' },
    WITHDRAWN: { description: '撤回 — the enterprise withdrew the application or its need.' },
    EXPIRED: { description: 'Not accepted before the response deadline.' },
    CREDIT_GRANT_PROPOSED: {
      description:
        '授信 proposed above the four-eyes threshold: waits for a second staff member (双人复核); the status stays.',
    },
    CREDIT_GRANT_SELF_APPROVAL_REFUSED: {
      description: 'The maker of a pending grant tried to approve it and was refused; nothing else changed.',
    },
    CREDIT_GRANT_LAPSED: { description: 'A grant still waiting for its second approval lapsed with the application.' },
    CREDIT_GRANTED: { description: '授信 — credit granted (at once, or on the second approval).' },
    DISBURSED: { description: '放款 — one tranche paid out.' },
  },
});

/**
 * The append-only audit trail (审计轨迹) of an application: one row per step, written in the transaction
 * that makes it (a refused self-approval in its own, after the refusal rolled back). A trigger refuses
 * UPDATE and DELETE.
 */
@ObjectType({
  simpleResolvers: true,
  implements: Node,
  description:
    'One step of an application’s audit trail: what happened, who did it, when, the status before and after, and why.',
})
@Entity('application_event')
@Index(['applicationId', 'id'])
export class ApplicationEvent extends Node {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ type: 'bigint' })
  applicationId: string;

  @Field(() => ApplicationEventType, { description: 'What happened.' })
  @Column({ type: 'enum', enum: ApplicationEventType, enumName: 'application_event_type' })
  type: ApplicationEventType;

  /** Who acted, as `actorKey` writes it (src/common/actor.ts); exposed as `actor` (an AuditActor), never as text. */
  @Column({ type: 'varchar', length: 60 })
  actor: string;

  @Field(() => ApplicationStatus, {
    nullable: true,
    description: 'Status before; null when the application was created.',
  })
  @Column({ type: 'enum', enum: ApplicationStatus, enumName: 'application_status', nullable: true })
  fromStatus: ApplicationStatus | null;

  @Field(() => ApplicationStatus, { description: 'Status after; the same as before for a step of the credit grant.' })
  @Column({ type: 'enum', enum: ApplicationStatus, enumName: 'application_status' })
  toStatus: ApplicationStatus;

  @Field(() => String, { nullable: true, description: 'Why, or what (e.g. the tranche paid out).' })
  @Column({ type: 'varchar', length: 500, nullable: true })
  reason: string | null;

  @Field(() => Date, { description: 'When it happened.' })
  @CreateDateColumn({ type: 'timestamptz' })
  occurredAt: Date;
}
