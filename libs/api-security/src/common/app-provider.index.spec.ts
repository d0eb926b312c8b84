import { Injectable, Module, Scope } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { AmbiguousProviderError, AppProviderIndex } from './app-provider.index';

const HOOK = Symbol.for('test:Hook');

@Injectable({ scope: Scope.REQUEST })
class RequestScopedHook {}

@Module({ providers: [{ provide: HOOK, useValue: { from: 'first' } }] })
class FirstModule {}

@Module({ providers: [{ provide: HOOK, useValue: { from: 'second' } }] })
class SecondModule {}

@Module({ providers: [{ provide: 'scoped', useClass: RequestScopedHook }] })
class ScopedModule {}

async function indexOf(imports: unknown[]): Promise<AppProviderIndex> {
  const moduleRef = await Test.createTestingModule({
    imports: [DiscoveryModule, ...(imports as never[])],
    providers: [AppProviderIndex],
  }).compile();
  return moduleRef.get(AppProviderIndex);
}

describe('AppProviderIndex', () => {
  it('finds the one instance an application module registers under a token', async () => {
    const index = await indexOf([FirstModule]);
    expect(index.find(HOOK)).toEqual({ from: 'first' });
  });

  it('answers undefined for a token nobody registered', async () => {
    const index = await indexOf([FirstModule]);
    expect(index.find(Symbol.for('test:Nobody'))).toBeUndefined();
  });

  it('refuses a token two modules register, naming both, where a container-wide get took the first', async () => {
    const index = await indexOf([FirstModule, SecondModule]);
    let caught: unknown;
    try {
      index.find(HOOK);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AmbiguousProviderError);
    expect(caught).toMatchObject({ code: 'ERR_CONFIG_AMBIGUOUS_PROVIDER', modules: ['FirstModule', 'SecondModule'] });
    expect((caught as Error).message).toContain('test:Hook is provided by 2 modules (FirstModule, SecondModule)');
  });

  it('ignores a request-scoped provider, which a boot-time decision cannot use', async () => {
    const index = await indexOf([ScopedModule]);
    expect(index.find('scoped')).toBeUndefined();
  });
});
