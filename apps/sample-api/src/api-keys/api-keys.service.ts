import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { ApiKeyService, UnauthenticatedException } from '@api-security/nestjs';
import { randomInt } from 'node:crypto';
import { IsNull, Not, QueryFailedError, Repository } from 'typeorm';
import { API_KEY_SLOTS, ApiKeyEntity } from '../database/api-key.entity';
import { UserEntity } from '../database/user.entity';

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
export const MAX_ACTIVE_API_KEYS_PER_USER = API_KEY_SLOTS;

/**
 * Each lost race means another creation took a slot, so without revocations a creation sees the slots
 * full after at most MAX_ACTIVE_API_KEYS_PER_USER losses; twice that leaves room for revocations.
 */
const MAX_SLOT_ATTEMPTS = 2 * MAX_ACTIVE_API_KEYS_PER_USER;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A user's own API keys: create (shown once), list, revoke. Every query is scoped to the owner.
 * Deactivating the owner revokes every key for good (`revokeAllOf`): reactivation does not bring
 * them back, the user creates new ones.
 */
@Injectable()
export class ApiKeysService {
  constructor(
    @InjectRepository(ApiKeyEntity) private readonly keys: Repository<ApiKeyEntity>,
    private readonly generator: ApiKeyService,
    @InjectRepository(UserEntity) private readonly users: Repository<UserEntity>,
  ) {}

  /**
   * Creates a key in one of the owner's free slots. The database holds one active key per slot and only
   * MAX_ACTIVE_API_KEYS_PER_USER slots (see ApiKeyEntity.activeSlot), so the cap is exact however many
   * creations race, on SQLite and PostgreSQL, on any number of instances: a creation that loses its slot
   * to a concurrent one picks another, and is refused with 409 once none is free.
   */
  async create(ownerId: string, name: string): Promise<CreatedApiKey> {
    for (let attempt = 0; attempt < MAX_SLOT_ATTEMPTS; attempt++) {
      const slot = await this.freeSlot(ownerId);
      if (slot === undefined) break;
      const generated = this.generator.generate();
      try {
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
            activeSlot: slot,
          }),
        );
        await this.refuseIfOwnerInactive(ownerId, row.id);
        return { id: row.id, name: row.name, key: generated.key, prefix: row.prefix };
      } catch (error) {
        // Taken by a concurrent creation (or, vanishingly rarely, a duplicate prefix): try again.
        if (!isUniqueViolation(error)) throw error;
      }
    }
    throw new ConflictException(`At most ${MAX_ACTIVE_API_KEYS_PER_USER} API keys may be active; revoke one first.`);
  }

  /**
   * A creation that passed authentication just before its owner was deactivated may insert its row
   * after `revokeAllOf` ran. Deactivation writes `isActive` before revoking keys, so reading it after
   * the insert catches every such row: it is revoked here, or reactivation would bring it to life.
   */
  private async refuseIfOwnerInactive(ownerId: string, keyId: string): Promise<void> {
    const owner = await this.users.findOne({ where: { id: ownerId }, select: { id: true, isActive: true } });
    if (owner?.isActive === true) return;
    await this.keys.update({ id: keyId, revokedAt: IsNull() }, { revokedAt: new Date(), activeSlot: null });
    throw new UnauthenticatedException('API key created for an owner deactivated meanwhile');
  }

  /**
   * Revokes every key the owner still has, for good (deactivation). One UPDATE; it frees the slots.
   * @returns how many keys were revoked
   */
  async revokeAllOf(ownerId: string): Promise<number> {
    const result = await this.keys.update(
      { userId: ownerId, revokedAt: IsNull() },
      { revokedAt: new Date(), activeSlot: null },
    );
    return result.affected ?? 0;
  }

  /** A free slot of the owner's, chosen at random so that concurrent creations rarely pick the same one. */
  private async freeSlot(ownerId: string): Promise<number | undefined> {
    const taken = await this.keys.find({
      where: { userId: ownerId, activeSlot: Not(IsNull()) },
      select: { id: true, activeSlot: true },
    });
    const used = new Set(taken.map((row) => row.activeSlot));
    const free: number[] = [];
    for (let slot = 1; slot <= MAX_ACTIVE_API_KEYS_PER_USER; slot++) if (!used.has(slot)) free.push(slot);
    return free.length === 0 ? undefined : free[randomInt(free.length)];
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
    // One conditional UPDATE: the owner check and the change cannot be separated by a race. It frees the slot too.
    const result = await this.keys.update(
      { id, userId: ownerId, revokedAt: IsNull() },
      { revokedAt: new Date(), activeSlot: null },
    );
    if (!result.affected) throw new NotFoundException();
  }
}

/** A unique index refused the row: PostgreSQL's unique_violation, or SQLite's constraint message. */
function isUniqueViolation(error: unknown): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const cause = error.driverError as { code?: unknown; message?: unknown } | undefined;
  return cause?.code === '23505' || (typeof cause?.message === 'string' && cause.message.includes('UNIQUE constraint'));
}
