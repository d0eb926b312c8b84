import request from 'supertest';
import { ApiSecurityModule, ErrorCode } from '@api-security/nestjs';
import { StaticTokenAuthenticator, ThingsController } from './fixtures/foundation.fixture';
import { ADAPTERS, createApp } from './utils/create-app';
import { expectProblem } from './utils/problem';

/**
 * A full security space refuses new records with 503 problem details instead of evicting old ones.
 * `GET /things/counter` writes a key of the application's own (`{test}:counter:<user>`), which the
 * store counts as a security record; the space holds one.
 */
describe.each(ADAPTERS)('a full memory store (%s)', (adapter) => {
  it('answers 503 ERR_STORE_FULL for a new security record, keeps the old one working, under 30 parallel requests', async () => {
    const app = await createApp(adapter, {
      imports: [
        ApiSecurityModule.forRoot({
          store: { type: 'memory', maxEntries: 9, maxCounterEntries: 8 },
          authenticators: [StaticTokenAuthenticator],
        }),
      ],
      controllers: [ThingsController],
    });
    try {
      const as = (user: string) =>
        request(app.getHttpServer()).get('/api/things/counter').set('Authorization', `Bearer ${user}`);
      expect((await as('user-a')).body).toEqual({ value: 1 });
      const refused = await Promise.all(Array.from({ length: 30 }, () => as('user-b')));
      for (const res of refused) {
        expectProblem(res, 503, ErrorCode.STORE_FULL);
        expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      }
      const kept = await Promise.all(Array.from({ length: 30 }, () => as('user-a')));
      expect(kept.map((res) => (res.body as { value: number }).value).sort((x, y) => x - y)).toEqual(
        Array.from({ length: 30 }, (_, i) => i + 2),
      );
    } finally {
      await app.close();
    }
  });

  it('refuses invalid capacity options at boot, naming them', async () => {
    await expect(
      createApp(adapter, {
        imports: [ApiSecurityModule.forRoot({ store: { type: 'memory', maxEntries: 10, maxCounterEntries: 10 } })],
        controllers: [ThingsController],
      }),
    ).rejects.toThrow(/store\.maxCounterEntries must be an integer from 1 to store\.maxEntries - 1/);
    await expect(
      createApp(adapter, {
        imports: [
          ApiSecurityModule.forRoot({
            store: { type: 'memory', whenCountersFull: 'ignore' as unknown as 'tooManyRequests' },
          }),
        ],
        controllers: [ThingsController],
      }),
    ).rejects.toThrow(/store\.whenCountersFull must be 'tooManyRequests' or 'serviceUnavailable'/);
  });
});
