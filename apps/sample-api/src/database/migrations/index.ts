import { CreateUsers1767225600000 } from './1767225600000-create-users';
import { CreateOrders1767225600001 } from './1767225600001-create-orders';
import { CreateApiKeys1767225600002 } from './1767225600002-create-api-keys';
import { CreateSecurityEvents1767225600003 } from './1767225600003-create-security-events';
import { AddApiKeySlots1767225600004 } from './1767225600004-add-api-key-slots';

/**
 * Every migration, as classes: globs would not match once the app runs compiled from dist. TypeORM orders
 * them by the timestamp ending each name; append new ones here.
 */
export const DATABASE_MIGRATIONS = [
  CreateUsers1767225600000,
  CreateOrders1767225600001,
  CreateApiKeys1767225600002,
  CreateSecurityEvents1767225600003,
  AddApiKeySlots1767225600004,
] as const;
