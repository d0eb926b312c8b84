import { Global, Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, loadConfig } from './app-config';

/**
 * Provides {@link APP_CONFIG} everywhere. The factory runs while Nest builds the module graph, so an invalid
 * environment stops the boot with the ConfigError message before anything listens.
 */
@Global()
@Module({
  providers: [{ provide: APP_CONFIG, useFactory: (): AppConfig => loadConfig(process.env) }],
  exports: [APP_CONFIG],
})
export class AppConfigModule {}
