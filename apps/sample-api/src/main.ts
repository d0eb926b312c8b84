import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createSampleApp } from './bootstrap';
import { APP_CONFIG, type AppConfig } from './config/app-config';

async function main(): Promise<void> {
  // The default logger of createSampleApp writes JSON lines with secrets redacted (RedactingLogger).
  const app = await createSampleApp();
  const { port } = app.get<AppConfig>(APP_CONFIG);
  await app.listen(port);
  new Logger('SampleApi').log(`Listening on http://localhost:${port}/api (health: /api/health)`);
}

main().catch((error: unknown) => {
  // Boot errors (bad configuration, failed migration) are printed without a stack: they name the fix.
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
