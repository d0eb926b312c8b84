import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { MemorySecurityStore } from './memory.store';
import { ResilientSecurityStore } from './resilient.store';
import { SECURITY_STORE, type SecurityStore } from './security-store';
import {
  InjectSecurityStore,
  SECURITY_STORE_PURPOSE_PROVIDERS,
  securityStoreToken,
  storeForPurpose,
} from './security-store.purpose';
import { StoreUnavailableError } from './store-unavailable.error';

const quiet = { warn: () => undefined, log: () => undefined };

/** A primary that is always down. */
class DownStore extends MemorySecurityStore {
  override get(): Promise<string | null> {
    return Promise.reject(new StoreUnavailableError());
  }
}

describe('security store purposes', () => {
  it('gives a store without an outage policy as is, and a resilient store’s view per purpose', async () => {
    const memory = new MemorySecurityStore();
    expect(storeForPurpose(memory, 'revocation')).toBe(memory);
    const resilient = new ResilientSecurityStore(new MemorySecurityStore(), { policy: 'failOpen', logger: quiet });
    expect(storeForPurpose(resilient, 'rateLimit')).toBe(resilient.forPurpose('rateLimit'));
    expect(storeForPurpose(resilient, 'rateLimit')).not.toBe(resilient.forPurpose('revocation'));
    await resilient.close();
  });

  it('injects each purpose’s view of SECURITY_STORE through InjectSecurityStore', async () => {
    @Injectable()
    class Users {
      constructor(
        @InjectSecurityStore('rateLimit') readonly counters: SecurityStore,
        @InjectSecurityStore('revocation') readonly revocations: SecurityStore,
      ) {}
    }
    const resilient = new ResilientSecurityStore(new DownStore(), { policy: 'failOpen', logger: quiet });
    @Module({
      providers: [{ provide: SECURITY_STORE, useValue: resilient }, ...SECURITY_STORE_PURPOSE_PROVIDERS, Users],
    })
    class AppModule {}
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const users = moduleRef.get(Users);
    await expect(users.counters.get('k')).resolves.toBeNull();
    await expect(users.revocations.get('k')).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(securityStoreToken('rateLimit')).not.toBe(securityStoreToken('revocation'));
    await resilient.close();
  });
});
