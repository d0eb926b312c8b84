import { Field, ID, ObjectType } from '@nestjs/graphql';
import { OwnedBy, VisibleTo } from '@api-security/nestjs';
import type { UserEntity } from '../database/user.entity';
import { toProfile } from '../users/user-profile';
import { OrderModel } from './order.model';

/**
 * A user as GraphQL shows it, with REST's `UserView` rules: the owner and managers see the profile,
 * only admins see account state and internal notes. Every field is nullable so that a field refused
 * to the caller is that field's null (and an `ERR_FIELD_FORBIDDEN` error), never a nulled parent.
 * The password hash is not a field at all.
 */
@ObjectType('User')
@OwnedBy('id')
export class UserModel {
  @VisibleTo('owner', 'manager') @Field(() => ID, { nullable: true }) id!: string;
  @VisibleTo('owner', 'manager') @Field(() => String, { nullable: true }) email!: string;
  @VisibleTo('owner', 'manager') @Field(() => String, { nullable: true }) name!: string;
  @VisibleTo('owner', 'manager') @Field(() => String, { nullable: true }) avatar!: string | null;
  @VisibleTo('owner', 'manager') @Field(() => String, { nullable: true }) role!: string;
  @VisibleTo('owner', 'manager') @Field(() => String, { nullable: true }) createdAt!: string;
  @VisibleTo('admin') @Field(() => Boolean, { nullable: true }) isActive!: boolean;
  @VisibleTo('admin') @Field(() => String, { nullable: true }) internalNotes!: string | null;
  /**
   * The user's orders: like `GET /api/v1/orders/:id`, for their owner and admins only (a manager
   * reading the user list gets null here). Resolved by `UsersResolver.orders`, which also checks
   * ownership of the parent user.
   */
  @VisibleTo('owner', 'admin') @Field(() => [OrderModel], { nullable: true }) orders?: OrderModel[];

  static from(user: UserEntity): UserModel {
    return Object.assign(new UserModel(), toProfile(user), {
      isActive: user.isActive,
      internalNotes: user.internalNotes,
    });
  }
}
