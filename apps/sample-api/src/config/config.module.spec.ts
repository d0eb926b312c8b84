import { Inject, Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { APP_CONFIG, type AppConfig } from './app-config';
import { ConfigError } from './config.error';
import { AppConfigModule } from './config.module';

@Injectable()
class NeedsConfig {
  constructor(@Inject(APP_CONFIG) readonly config: AppConfig) {}
}

describe('AppConfigModule', () => {
  const original = process.env;

  beforeEach(() => {
    process.env = { ...original };
    for (const name of ['PORT', 'RATE_LIMIT', 'CORS_ORIGINS', 'JWT_ALGORITHM', 'JWT_SECRET', 'NODE_ENV']) {
      delete process.env[name];
    }
  });

  afterEach(() => {
    process.env = original;
  });

  it('provides the configuration loaded from process.env to every module (it is global)', async () => {
    process.env.PORT = '4321';
    const moduleRef = await Test.createTestingModule({
      imports: [AppConfigModule],
      providers: [NeedsConfig],
    }).compile();
    expect(moduleRef.get(NeedsConfig).config.port).toBe(4321);
    expect(moduleRef.get<AppConfig>(APP_CONFIG)).toBe(moduleRef.get(NeedsConfig).config);
    await moduleRef.close();
  });

  it('fails the boot with the ConfigError when the environment is invalid', async () => {
    process.env.PORT = 'eighty';
    process.env.RATE_LIMIT = 'lots';
    const compiling = Test.createTestingModule({ imports: [AppConfigModule] }).compile();
    await expect(compiling).rejects.toBeInstanceOf(ConfigError);
    await expect(compiling).rejects.toThrow(/PORT [\s\S]*RATE_LIMIT /);
  });
});
