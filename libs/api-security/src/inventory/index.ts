export { RouteInventoryService } from './route-inventory.service';
export type { RouteInventoryEntry, RouteInventoryOwnership } from './route-inventory.service';
