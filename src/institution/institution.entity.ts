import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Node } from '../common/node';

export enum InstitutionType {
  BANK = 'BANK',
  MICRO_LOAN_COMPANY = 'MICRO_LOAN_COMPANY',
  GUARANTEE_COMPANY = 'GUARANTEE_COMPANY',
  FINANCIAL_LEASING = 'FINANCIAL_LEASING',
  OTHER = 'OTHER',
}
registerEnumType(InstitutionType, {
  name: 'InstitutionType',
  description:
    '金融机构类型: 银行 bank, 小额贷款公司 micro-loan company, 融资担保公司 guarantee company, 融资租赁 financial leasing.',
  valuesConfig: {
    BANK: { description: '银行 bank.' },
    MICRO_LOAN_COMPANY: { description: '小额贷款公司 micro-loan company.' },
    GUARANTEE_COMPANY: { description: '融资担保公司 financing guarantee company.' },
    FINANCIAL_LEASING: { description: '融资租赁 financial leasing company.' },
    OTHER: { description: '其他 any other licensed institution.' },
  },
});

@ObjectType({
  simpleResolvers: true,
  implements: Node,
  description: '金融机构 — a financial institution that publishes loan products.',
})
@Entity('institution')
export class Institution extends Node {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Field(() => String, { description: 'Name of the institution (机构名称).' })
  @Column({ type: 'varchar', length: 200, unique: true })
  name: string;

  @Field(() => InstitutionType, { description: 'Kind of institution (机构类型).' })
  @Column({ type: 'enum', enum: InstitutionType, enumName: 'institution_type' })
  type: InstitutionType;

  @Field(() => [String], {
    description: 'GB/T 2260 codes of the regions served (服务区域); a province code covers its cities and counties.',
  })
  @Column({ type: 'varchar', length: 6, array: true, default: () => "'{}'" })
  regionsServed: string[];

  @Field(() => Int, {
    description: 'Working days (工作日, official calendar) within which an application must be accepted (受理).',
  })
  @Column({ type: 'smallint', default: 3 })
  responseDeadlineDays: number;

  /** Shown through InstitutionResolver.fourEyesThreshold, to the institution's own staff and operators. */
  @Column({ type: 'numeric', precision: 17, scale: 2, nullable: true })
  fourEyesThreshold: string | null;

  @Field(() => Date, { description: 'When it was onboarded.' })
  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
