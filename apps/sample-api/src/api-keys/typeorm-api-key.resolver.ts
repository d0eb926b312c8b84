import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { ApiKeyResolver, StoredApiKey } from '@api-security/nestjs';
import { Repository } from 'typeorm';
import { ApiKeyEntity } from '../database/api-key.entity';

/**
 * Finds API keys for the library's ApiKeyAuthenticator: one indexed lookup by prefix, joined to the
 * owner so the owner's current role and status apply to every request, with no caching.
 */
@Injectable()
export class TypeOrmApiKeyResolver implements ApiKeyResolver {
  constructor(@InjectRepository(ApiKeyEntity) private readonly keys: Repository<ApiKeyEntity>) {}

  async findByPrefix(prefix: string): Promise<StoredApiKey | null> {
    const row = await this.keys.findOne({
      where: { prefix },
      relations: { user: true },
      // Only what authentication needs: the owner's password hash has no business in this query.
      select: {
        id: true,
        userId: true,
        keyHash: true,
        scopes: true,
        revokedAt: true,
        user: { id: true, role: true, isActive: true },
      },
    });
    if (!row) return null;
    const owner = row.user;
    return {
      id: row.id,
      ownerId: row.userId,
      roles: owner ? [owner.role] : [],
      scopes: Array.isArray(row.scopes) ? row.scopes : [],
      keyHash: row.keyHash,
      // Deactivating a user must stop their keys at once without rewriting each key row.
      revoked: row.revokedAt !== null || !owner || owner.isActive !== true,
      // The schema has no key expiry: keys live until revoked or their owner is deactivated or deleted.
      expiresAt: null,
    };
  }

  async touch(id: string, usedAt: Date): Promise<void> {
    await this.keys.update({ id }, { lastUsedAt: usedAt });
  }
}
