import { Controller, Get } from '@nestjs/common';
import { RouteInventoryService, Roles, type RouteInventoryEntry } from '@api-security/nestjs';

/** Every route with its security metadata, as compiled at boot. */
@Controller({ path: 'admin/inventory', version: '1' })
export class InventoryController {
  constructor(private readonly inventory: RouteInventoryService) {}

  @Get()
  @Roles('admin')
  list(): { routes: RouteInventoryEntry[] } {
    return { routes: this.inventory.list() };
  }
}
