import { type MigrationInterface, type QueryRunner, Table } from 'typeorm';

/** Creates `security_events`: no foreign key, the audit trail outlives accounts (see CreateUsers). */
export class CreateSecurityEvents1767225600003 implements MigrationInterface {
  readonly name = 'CreateSecurityEvents1767225600003';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'security_events',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'type', type: 'varchar', length: '64' },
          { name: 'occurredAt', type: 'bigint' },
          { name: 'requestId', type: 'varchar', length: '128', isNullable: true },
          { name: 'principalId', type: 'varchar', length: '64', isNullable: true },
          { name: 'ip', type: 'varchar', length: '64', isNullable: true },
          { name: 'route', type: 'varchar', length: '512', isNullable: true },
          { name: 'reason', type: 'varchar', length: '512', isNullable: true },
          { name: 'details', type: 'text', isNullable: true },
        ],
        indices: [{ name: 'IDX_security_events_occurredAt', columnNames: ['occurredAt'] }],
      }),
      true,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('security_events', true);
  }
}
