import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';

/** Creates `api_keys`, removed with their user (see CreateUsers for why columns are spelled out). */
export class CreateApiKeys1767225600002 implements MigrationInterface {
  readonly name = 'CreateApiKeys1767225600002';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'api_keys',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'userId', type: 'varchar', length: '36' },
          { name: 'name', type: 'varchar', length: '100' },
          { name: 'prefix', type: 'varchar', length: '32' },
          { name: 'keyHash', type: 'varchar', length: '64' },
          { name: 'scopes', type: 'text' },
          { name: 'lastUsedAt', type: 'bigint', isNullable: true },
          { name: 'revokedAt', type: 'bigint', isNullable: true },
          { name: 'createdAt', type: 'bigint' },
        ],
        indices: [
          { name: 'IDX_api_keys_userId', columnNames: ['userId'] },
          { name: 'IDX_api_keys_prefix', columnNames: ['prefix'], isUnique: true },
        ],
        foreignKeys: [
          {
            name: 'FK_api_keys_userId',
            columnNames: ['userId'],
            referencedTableName: 'users',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          },
        ],
      }),
      true,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('api_keys', true);
  }
}
