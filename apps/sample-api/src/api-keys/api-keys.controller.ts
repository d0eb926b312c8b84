import { Body, Controller, Delete, Get, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { CurrentPrincipal, type SecurityPrincipal } from '@api-security/nestjs';
import { Owns } from '@api-security/nestjs';
import { ApiIdParam } from '../docs/api-id-param.decorator';
import { ApiKeyManagementGuard } from './api-key-management.guard';
import { CreateApiKeyDto } from './api-keys.dto';
import { ApiKeysService, type ApiKeySummary, type CreatedApiKey } from './api-keys.service';

/** A signed-in user's own API keys. */
@Controller({ path: 'api-keys', version: '1' })
@UseGuards(ApiKeyManagementGuard)
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  /** 201 with the key: the only response that ever contains it. */
  @Post()
  create(@CurrentPrincipal() principal: SecurityPrincipal, @Body() body: CreateApiKeyDto): Promise<CreatedApiKey> {
    return this.apiKeys.create(principal.id, body.name);
  }

  @Get()
  list(@CurrentPrincipal() principal: SecurityPrincipal): Promise<ApiKeySummary[]> {
    return this.apiKeys.list(principal.id);
  }

  /** 204; the key is refused from the next request on. */
  @Delete(':id')
  @ApiIdParam()
  @HttpCode(204)
  @Owns(false, {
    reason: 'revocation is one UPDATE scoped to the caller (id AND userId); any other id answers 404',
  })
  revoke(@CurrentPrincipal() principal: SecurityPrincipal, @Param('id') id: string): Promise<void> {
    return this.apiKeys.revoke(principal.id, id);
  }
}
