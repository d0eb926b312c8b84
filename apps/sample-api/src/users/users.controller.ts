import { Body, Controller, Delete, Get, HttpCode, NotFoundException, Param, Patch, Query } from '@nestjs/common';
import { CurrentPrincipal, Owns, Roles, type SecurityPrincipal } from '@api-security/nestjs';
import { ApiPagination } from '@api-security/nestjs/swagger';
import { ApiIdParam } from '../docs/api-id-param.decorator';
import { UpdateUserDto } from './update-user.dto';
import type { UserProfile } from './user-profile';
import { UserView } from './user.view';
import { UsersPage } from './users-page.query';
import { UsersService } from './users.service';

/** Who may do what is declared, not coded: ownership, roles and field policies live in decorators. */
@Controller({ path: 'users', version: '1' })
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get('me')
  me(@CurrentPrincipal() principal: SecurityPrincipal): Promise<UserProfile> {
    return this.users.profileOf(principal);
  }

  @Get()
  @ApiPagination()
  @Roles('manager')
  async list(@Query() page: UsersPage): Promise<{ items: UserView[]; total: number; limit: number; offset: number }> {
    const { users, total } = await this.users.list(page.limit, page.offset);
    return { items: users.map((u) => UserView.from(u)), total, limit: page.limit, offset: page.offset };
  }

  @Get(':id')
  @ApiIdParam()
  @Owns('user')
  async get(@Param('id') id: string): Promise<UserView> {
    const user = await this.users.findById(id);
    if (!user) throw new NotFoundException();
    return UserView.from(user);
  }

  @Patch(':id')
  @ApiIdParam()
  @Owns('user')
  async update(@Param('id') id: string, @Body() body: UpdateUserDto): Promise<UserView> {
    return UserView.from(await this.users.update(id, body));
  }

  @Delete(':id')
  @ApiIdParam()
  @Roles('admin')
  @Owns(false, { reason: 'admin-only: the role check is the whole decision' })
  @HttpCode(204)
  async remove(@Param('id') id: string): Promise<void> {
    await this.users.remove(id);
  }
}
