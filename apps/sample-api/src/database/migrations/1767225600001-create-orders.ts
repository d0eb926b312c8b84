import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';

/** Creates `orders`, removed with their user (see CreateUsers for why columns are spelled out). */
export class CreateOrders1767225600001 implements MigrationInterface {
  readonly name = 'CreateOrders1767225600001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'orders',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'userId', type: 'varchar', length: '36' },
          { name: 'items', type: 'text' },
          { name: 'status', type: 'varchar', length: '16', default: "'pending'" },
          { name: 'createdAt', type: 'bigint' },
        ],
        indices: [{ name: 'IDX_orders_userId', columnNames: ['userId'] }],
        foreignKeys: [
          {
            name: 'FK_orders_userId',
            columnNames: ['userId'],
            referencedTableName: 'users',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          },
        ],
        checks: [{ name: 'CHK_orders_status', expression: `"status" IN ('pending', 'paid')` }],
      }),
      true,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('orders', true);
  }
}
