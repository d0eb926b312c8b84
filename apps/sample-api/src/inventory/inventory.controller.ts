import { Controller, Get } from '@nestjs/common';
import { RouteInventoryService, Roles, type RouteInventoryEntry } from '@api-security/nestjs';

/** Every route with its security metadata, as compiled at boot; the GraphQL resolvers beside them. */
@Controller({ path: 'admin/inventory', version: '1' })
export class InventoryController {
  constructor(private readonly inventory: RouteInventoryService) {}

  @Get()
  @Roles('admin')
  list(): { routes: RouteInventoryEntry[]; graphql: RouteInventoryEntry[] } {
    // `routes` stays what the contract names, HTTP routes only; resolvers (`Query.order`) have no
    // HTTP method or path of their own.
    const entries = this.inventory.list();
    return {
      routes: entries.filter((entry) => entry.graphql === undefined),
      graphql: entries.filter((entry) => entry.graphql !== undefined),
    };
  }
}
