import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';

/**
 * Creates `users`. Written with the Table API so one migration serves SQLite and PostgreSQL. Migrations are
 * snapshots: they spell every column out instead of sharing helpers, so later edits cannot rewrite history.
 */
export class CreateUsers1767225600000 implements MigrationInterface {
  readonly name = 'CreateUsers1767225600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Boolean defaults are spelled differently: SQLite stores booleans as 0/1.
    const trueDefault = queryRunner.connection.options.type === 'postgres' ? 'true' : '1';
    await queryRunner.createTable(
      new Table({
        name: 'users',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'email', type: 'varchar', length: '254' },
          { name: 'name', type: 'varchar', length: '200' },
          { name: 'avatar', type: 'varchar', length: '2048', isNullable: true },
          { name: 'passwordHash', type: 'varchar', length: '255' },
          { name: 'role', type: 'varchar', length: '16', default: "'user'" },
          { name: 'isActive', type: 'boolean', default: trueDefault },
          { name: 'internalNotes', type: 'text', isNullable: true },
          { name: 'tokensValidAfter', type: 'bigint', isNullable: true },
          { name: 'createdAt', type: 'bigint' },
          { name: 'updatedAt', type: 'bigint' },
        ],
        indices: [{ name: 'IDX_users_email', columnNames: ['email'], isUnique: true }],
        checks: [{ name: 'CHK_users_role', expression: `"role" IN ('user', 'manager', 'admin')` }],
      }),
      true,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('users', true);
  }
}
