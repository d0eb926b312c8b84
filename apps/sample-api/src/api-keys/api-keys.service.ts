import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { ApiKeyService } from '@api-security/nestjs';
import { IsNull, Repository } from 'typeorm';
import { ApiKeyEntity } from '../database/api-key.entity';

/** The answer to a creation: the only time the key itself is ever shown. */
export interface CreatedApiKey {
  id: string;
  name: string;
  key: string;
  prefix: string;
}

/** What the owner sees of a key afterwards: never the key or its hash. */
export interface ApiKeySummary {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  createdAt: string;
  lastUsedAt: string | null;
}

/** Bounds what one account can accumulate (each key is another credential to leak). */
export const MAX_ACTIVE_API_KEYS_PER_USER = 25;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A user's own API keys: create (shown once), list, revoke. Every query is scoped to the owner. */
@Injectable()
export class ApiKeysService {
  constructor(
    @InjectRepository(ApiKeyEntity) private readonly keys: Repository<ApiKeyEntity>,
    private readonly generator: ApiKeyService,
  ) {}

  async create(ownerId: string, name: string): Promise<CreatedApiKey> {
    const active = await this.keys.countBy({ userId: ownerId, revokedAt: IsNull() });
    if (active >= MAX_ACTIVE_API_KEYS_PER_USER) {
      throw new ConflictException(`At most ${MAX_ACTIVE_API_KEYS_PER_USER} API keys may be active; revoke one first.`);
    }
    const generated = this.generator.generate();
    const row = await this.keys.save(
      this.keys.create({
        userId: ownerId,
        name,
        prefix: generated.prefix,
        keyHash: generated.hash,
        // No scope model yet: a key acts with its owner's role, nothing more.
        scopes: [],
        lastUsedAt: null,
        revokedAt: null,
      }),
    );
    return { id: row.id, name: row.name, key: generated.key, prefix: row.prefix };
  }

  /** The owner's keys that still work, newest first. */
  async list(ownerId: string): Promise<ApiKeySummary[]> {
    const rows = await this.keys.find({
      where: { userId: ownerId, revokedAt: IsNull() },
      // Never even read the hash for a listing.
      select: { id: true, name: true, prefix: true, scopes: true, createdAt: true, lastUsedAt: true },
      order: { createdAt: 'DESC', id: 'ASC' },
    });
    return rows.map((row) => ({
      id: row.id,
      name: row.name,
      prefix: row.prefix,
      scopes: [...row.scopes],
      createdAt: row.createdAt.toISOString(),
      lastUsedAt: row.lastUsedAt ? row.lastUsedAt.toISOString() : null,
    }));
  }

  /**
   * Revokes one of the owner's keys. Someone else's key, an unknown id and an already revoked key
   * all answer 404 alike, so ids of other users' keys cannot be probed.
   */
  async revoke(ownerId: string, id: string): Promise<void> {
    if (!UUID.test(id)) throw new NotFoundException();
    // One conditional UPDATE: the owner check and the change cannot be separated by a race.
    const result = await this.keys.update({ id, userId: ownerId, revokedAt: IsNull() }, { revokedAt: new Date() });
    if (!result.affected) throw new NotFoundException();
  }
}
