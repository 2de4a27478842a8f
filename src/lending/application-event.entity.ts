import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { Field, ObjectType } from 'type-graphql';
import { Node } from '../common/node';
import { ApplicationStatus } from './application.entity';

/**
 * The append-only audit trail (审计轨迹) of an application: one row per transition, written in the
 * transaction that makes it. A trigger (see migrations) refuses UPDATE and DELETE.
 */
@ObjectType({ simpleResolvers: true, implements: Node, description: 'One step of an application’s audit trail: who moved it, when, from which status to which, and why.' })
@Entity('application_event')
@Index(['applicationId', 'id'])
export class ApplicationEvent extends Node {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ type: 'bigint' })
  applicationId: string;

  @Field(() => String, { description: 'Who acted: ENTERPRISE:<id>, INSTITUTION:<id>, OPERATOR or SYSTEM.' })
  @Column({ type: 'varchar', length: 60 })
  actor: string;

  @Field(() => ApplicationStatus, { nullable: true, description: 'Status before; null when the application was created.' })
  @Column({ type: 'enum', enum: ApplicationStatus, enumName: 'application_status', nullable: true })
  fromStatus: ApplicationStatus | null;

  @Field(() => ApplicationStatus, { description: 'Status after the transition.' })
  @Column({ type: 'enum', enum: ApplicationStatus, enumName: 'application_status' })
  toStatus: ApplicationStatus;

  @Field(() => String, { nullable: true, description: 'Why, or what (e.g. the tranche paid out).' })
  @Column({ type: 'varchar', length: 500, nullable: true })
  reason: string | null;

  @Field(() => Date, { description: 'When it happened.' })
  @CreateDateColumn({ type: 'timestamptz' })
  occurredAt: Date;
}
