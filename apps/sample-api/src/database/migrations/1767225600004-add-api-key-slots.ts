import { type MigrationInterface, type QueryRunner, TableCheck, TableColumn, TableIndex } from 'typeorm';

const SLOTS = 25;

/**
 * Adds `api_keys.activeSlot`: each active key takes one of its owner's 25 numbered slots, unique per user
 * and checked to lie in 1..25, so the database itself refuses a 26th active key, whatever races. Keys that
 * are already active get slots in creation order; should a user hold more than 25 (created by the race this
 * closes), the extra keys stay usable without a slot until revoked, and no new key fits in the meantime.
 */
export class AddApiKeySlots1767225600004 implements MigrationInterface {
  readonly name = 'AddApiKeySlots1767225600004';

  async up(queryRunner: QueryRunner): Promise<void> {
    if (!(await queryRunner.hasColumn('api_keys', 'activeSlot'))) {
      await queryRunner.addColumn(
        'api_keys',
        new TableColumn({ name: 'activeSlot', type: 'integer', isNullable: true }),
      );
      await this.numberActiveKeys(queryRunner);
    }
    const table = await queryRunner.getTable('api_keys');
    if (!table?.checks.some((check) => check.name === 'CHK_api_keys_activeSlot')) {
      await queryRunner.createCheckConstraint(
        'api_keys',
        new TableCheck({ name: 'CHK_api_keys_activeSlot', expression: `"activeSlot" BETWEEN 1 AND ${SLOTS}` }),
      );
    }
    if (!table?.indices.some((index) => index.name === 'IDX_api_keys_userId_activeSlot')) {
      await queryRunner.createIndex(
        'api_keys',
        new TableIndex({
          name: 'IDX_api_keys_userId_activeSlot',
          columnNames: ['userId', 'activeSlot'],
          isUnique: true,
        }),
      );
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('api_keys', 'IDX_api_keys_userId_activeSlot');
    await queryRunner.dropCheckConstraint('api_keys', 'CHK_api_keys_activeSlot');
    await queryRunner.dropColumn('api_keys', 'activeSlot');
  }

  private async numberActiveKeys(queryRunner: QueryRunner): Promise<void> {
    const keys = queryRunner.manager.createQueryBuilder().from('api_keys', 'k');
    const active: { id: string; userId: string }[] = await keys
      .select('"k"."id"', 'id')
      .addSelect('"k"."userId"', 'userId')
      .where('"k"."revokedAt" IS NULL')
      .orderBy('"k"."userId"')
      .addOrderBy('"k"."createdAt"')
      .addOrderBy('"k"."id"')
      .getRawMany();
    const next = new Map<string, number>();
    for (const key of active) {
      const slot = (next.get(key.userId) ?? 0) + 1;
      next.set(key.userId, slot);
      if (slot > SLOTS) continue;
      await queryRunner.manager
        .createQueryBuilder()
        .update('api_keys')
        .set({ activeSlot: slot })
        .where('"id" = :id', { id: key.id })
        .execute();
    }
  }
}
