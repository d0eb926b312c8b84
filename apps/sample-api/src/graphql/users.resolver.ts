import { NotFoundException } from '@nestjs/common';
import { Args, ID, Int, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { CurrentPrincipal, Owns, Roles, type SecurityPrincipal } from '@api-security/nestjs';
import { OrdersService } from '../orders/orders.service';
import { UsersService } from '../users/users.service';
import { pageSize } from './graphql-page';
import { OrderModel } from './order.model';
import { UserModel } from './user.model';

/**
 * The users of `/api/graphql`, under the same rules as `/api/v1/users`: the decorators are the
 * controller's, and `UserModel`'s field visibility is `UserView`'s.
 */
@Resolver(() => UserModel)
export class UsersResolver {
  constructor(
    private readonly userStore: UsersService,
    private readonly orderStore: OrdersService,
  ) {}

  /** `GET /api/v1/users/me`: the caller's own account. */
  @Query(() => UserModel, { nullable: true })
  async me(@CurrentPrincipal() principal: SecurityPrincipal): Promise<UserModel> {
    return this.load(principal.id);
  }

  /** `GET /api/v1/users/:id`: the owner or an admin; anyone else gets `ERR_NOT_FOUND`, as for a missing id. */
  @Query(() => UserModel, { nullable: true })
  @Owns('user', { arg: 'id' })
  user(@Args('id', { type: () => ID }) id: string): Promise<UserModel> {
    return this.load(id);
  }

  /** `GET /api/v1/users`: managers and admins. */
  @Query(() => [UserModel])
  @Roles('manager')
  async users(
    @Args('limit', { type: () => Int, defaultValue: 20 }) limit: number,
    @Args('offset', { type: () => Int, defaultValue: 0 }) offset: number,
  ): Promise<UserModel[]> {
    const { users } = await this.userStore.list(pageSize(limit), Math.max(Math.trunc(offset), 0));
    return users.map((user) => UserModel.from(user));
  }

  /**
   * The parent user's orders. Ownership comes from the parent object, whichever query reached it
   * (`me`, `user`, `users`): the user themself or an admin, as `GET /api/v1/orders/:id`.
   */
  @ResolveField(() => [OrderModel], { nullable: true })
  @Owns('user', { parent: 'id' })
  async orders(
    @Parent() user: UserModel,
    @Args('first', { type: () => Int, defaultValue: 20 }) first: number,
  ): Promise<OrderModel[]> {
    return (await this.orderStore.listOf(user.id, pageSize(first))).map((order) => OrderModel.from(order));
  }

  private async load(id: string): Promise<UserModel> {
    const user = await this.userStore.findById(id);
    if (!user) throw new NotFoundException();
    return UserModel.from(user);
  }
}
