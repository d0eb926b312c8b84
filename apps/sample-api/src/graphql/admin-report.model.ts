import { Field, Int, ObjectType } from '@nestjs/graphql';

/** `GET /api/v1/admin/reports`'s summary, for admins only. */
@ObjectType('AdminReport')
export class AdminReportModel {
  @Field(() => Int) users!: number;
  @Field(() => Int) orders!: number;
  @Field() generatedAt!: string;
}
