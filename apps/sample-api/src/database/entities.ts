import { ApiKeyEntity } from './api-key.entity';
import { OrderEntity } from './order.entity';
import { SecurityEventEntity } from './security-event.entity';
import { UserEntity } from './user.entity';

/** Every entity, as classes: globs would not match once the app runs compiled from dist. */
export const DATABASE_ENTITIES = [UserEntity, OrderEntity, ApiKeyEntity, SecurityEventEntity] as const;
