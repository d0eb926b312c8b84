import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** Longest a health probe waits for the database; load balancers time out their own checks after a few seconds. */
export const DATABASE_HEALTH_TIMEOUT_MS = 2_000;

/** Answers whether the database takes queries, for readiness checks. */
@Injectable()
export class DatabaseHealthService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** True when `SELECT 1` succeeds within {@link DATABASE_HEALTH_TIMEOUT_MS}. Never throws. */
  async isUp(): Promise<boolean> {
    if (!this.dataSource.isInitialized) return false;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((done) => {
      timer = setTimeout(() => done(false), DATABASE_HEALTH_TIMEOUT_MS);
    });
    const probe = this.dataSource.query('SELECT 1').then(
      () => true,
      () => false,
    );
    try {
      return await Promise.race([probe, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
