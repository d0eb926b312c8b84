import { Controller, Get, type INestApplication, type ModuleMetadata } from '@nestjs/common';
import { SkipThrottle } from '@nestjs/throttler';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import {
  ApiSecurityModule,
  CurrentPrincipal,
  ErrorCode,
  JwtAuthenticator,
  RevocationService,
  SECURITY_STORE,
  TokenService,
  type SecurityEvent,
  type SecurityPrincipal,
  type SecurityStoreOptions,
} from '@api-security/nestjs';
import { serverConfig } from './fixtures/jwt.fixture';
import { ADAPTERS, createApp } from './utils/create-app';
import { expectProblem } from './utils/problem';
import { onSecurityEvent } from './utils/security-events';
import { describeWithServices } from './support/services';

/*
 * Store round trips per request, counted twice: by the store itself (`roundTrips` of the Redis
 * store behind the app's SECURITY_STORE) and by the Redis client (every command sent carrying this
 * run's key prefix). A protected, rate-limited route reads the token's revocation records and
 * charges its limits in one script: one round trip per request, never two.
 */

@Controller('rt')
class RoundTripController {
  @Get('limited')
  limited(@CurrentPrincipal() principal: SecurityPrincipal): { id: string } {
    return { id: principal.id };
  }

  /** No rate limit: authentication reads the revocation records itself, as before. */
  @SkipThrottle()
  @Get('unlimited')
  unlimited(@CurrentPrincipal() principal: SecurityPrincipal): { id: string } {
    return { id: principal.id };
  }
}

const PARALLEL = 40;

function metadata(jwt: ReturnType<typeof serverConfig>['jwt'], store: SecurityStoreOptions): ModuleMetadata {
  return {
    imports: [ApiSecurityModule.forRoot({ jwt, store, authenticators: [JwtAuthenticator] })],
    controllers: [RoundTripController],
  };
}

/** The round trips the app's Redis store has made (through its outage-policy wrapper). */
function roundTripsOf(app: INestApplication): number {
  const trips = (app.get(SECURITY_STORE) as { roundTrips?: unknown }).roundTrips;
  if (typeof trips !== 'number') throw new Error('the store does not count its round trips');
  return trips;
}

/** Counts the commands the Redis clients send with a key under `prefix` (node clients of a cluster included). */
function countSentCommands(prefix: string): { readonly sent: number; restore(): void } {
  const original = Redis.prototype.sendCommand;
  const counter = { sent: 0 };
  const spy = jest.spyOn(Redis.prototype, 'sendCommand').mockImplementation(function (this: Redis, command, stream) {
    if (command.args.some((arg) => typeof arg === 'string' && arg.startsWith(prefix))) counter.sent++;
    return original.call(this, command, stream);
  });
  return {
    get sent() {
      return counter.sent;
    },
    restore: () => spy.mockRestore(),
  };
}

/** `r=` of the principal-wide default tier in the IETF RateLimit field. */
function remaining(res: request.Response): number {
  const match = /"default";r=(\d+)/.exec(String(res.headers['ratelimit']));
  if (!match) throw new Error(`no RateLimit field: ${String(res.headers['ratelimit'])}`);
  return Number(match[1]);
}

/**
 * A revoked token is refused by every instance, with the same 401, event and problem details as where
 * authentication reads the records itself, and none of its requests is charged to its principal.
 */
function itRevocationBites(where: string, instances: () => INestApplication[]): void {
  const get = (app: INestApplication, path: string, token: string) =>
    request(app.getHttpServer()).get(path).set('Authorization', `Bearer ${token}`);
  it(`revocation bites across ${where} for ${PARALLEL} parallel requests, exactly as without the rate limit, and a revoked token spends none of its victim's budget`, async () => {
    const apps = instances();
    const [first, second = first] = apps;
    const sub = `victim-${randomUUID()}`;
    const stolen = await first.get(TokenService).issueAccessToken({ sub, role: 'user' });
    const own = await first.get(TokenService).issueAccessToken({ sub, role: 'user' });
    // Both instances verify (and cache) the stolen token before it is revoked.
    for (const app of apps) expect((await get(app, '/api/rt/limited', stolen.token)).status).toBe(200);
    const before = remaining(await get(first, '/api/rt/limited', own.token));

    const events: SecurityEvent[] = [];
    for (const app of apps) onSecurityEvent(app, (event) => events.push(event));
    await second.get(RevocationService).revokeToken(sub, stolen.jti, stolen.expiresAt);

    const responses = await Promise.all(
      Array.from({ length: PARALLEL }, (_, i) => get(apps[i % apps.length], '/api/rt/limited', stolen.token)),
    );
    for (const res of responses) {
      expectProblem(res, 401, ErrorCode.UNAUTHENTICATED);
      expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    }
    const revoked = events.filter((event) => event.type === 'authentication.failure');
    expect(revoked).toHaveLength(PARALLEL);
    for (const event of revoked) expect(event).toMatchObject({ reason: 'revoked', principalId: sub });

    // The same refusal as on a route where authentication reads the records itself.
    const merged = await get(first, '/api/rt/limited', stolen.token);
    const alone = await get(first, '/api/rt/unlimited', stolen.token);
    const body = (res: request.Response): Record<string, unknown> => {
      const { requestId: _id, instance: _instance, ...rest } = JSON.parse(res.text) as Record<string, unknown>;
      return rest;
    };
    expect([merged.status, merged.headers['www-authenticate']]).toEqual([
      alone.status,
      alone.headers['www-authenticate'],
    ]);
    expect(body(merged)).toEqual(body(alone));
    const [mergedEvent, aloneEvent] = events.slice(-2);
    // The same event, apart from the route it names.
    const sameFields = (event: SecurityEvent): Record<string, unknown> => {
      const {
        route: _route,
        path: _path,
        requestId: _requestId,
        ...rest
      } = event as unknown as Record<string, unknown>;
      return rest;
    };
    expect(mergedEvent).toMatchObject({ type: 'authentication.failure', reason: 'revoked', principalId: sub });
    expect(sameFields(mergedEvent)).toEqual(sameFields(aloneEvent));

    // None of the refused requests was charged to the user: their own token lost one unit per own request.
    expect(remaining(await get(second, '/api/rt/limited', own.token))).toBe(before - 1);
  });
}

function describeRoundTrips(label: string, store: (keyPrefix: string) => SecurityStoreOptions): void {
  describe(`round trips per request on ${label}`, () => {
    const config = serverConfig('ES256');
    const keyPrefix = `rt-e2e-${randomUUID()}:`;
    const apps: INestApplication[] = [];
    let sent: ReturnType<typeof countSentCommands>;
    const get = (app: INestApplication, path: string, token: string) =>
      request(app.getHttpServer()).get(path).set('Authorization', `Bearer ${token}`);

    beforeAll(async () => {
      sent = countSentCommands(keyPrefix);
      // One instance per adapter, sharing the store as behind a load balancer.
      for (const adapter of ADAPTERS) apps.push(await createApp(adapter, metadata(config.jwt, store(keyPrefix))));
    });
    afterAll(async () => {
      sent?.restore();
      for (const app of apps) await app.close();
    });

    for (const [index, adapter] of ADAPTERS.entries()) {
      for (const [path, what] of [
        ['/api/rt/limited', 'a protected, rate-limited route (revocation read with the charge)'],
        ['/api/rt/unlimited', 'a protected route without rate limit (@SkipThrottle)'],
      ] as const) {
        it(`${adapter}: exactly one round trip per request on ${what}, ${PARALLEL} in parallel`, async () => {
          const app = apps[index];
          const tokens = await Promise.all(
            [0, 1].map(
              async () =>
                (await app.get(TokenService).issueAccessToken({ sub: `u-${randomUUID()}`, role: 'user' })).token,
            ),
          );
          // Warm-up: the connection, the eviction-policy check and the scripts loaded on the node.
          for (const token of tokens) expect((await get(app, path, token)).status).toBe(200);
          const tripsBefore = roundTripsOf(app);
          const sentBefore = sent.sent;
          const responses = await Promise.all(
            Array.from({ length: PARALLEL }, (_, i) => get(app, path, tokens[i % 2])),
          );
          expect(responses.map((res) => res.status)).toEqual(Array(PARALLEL).fill(200));
          if (path === '/api/rt/limited') expect(responses[0].headers['ratelimit']).toBeDefined();
          else expect(responses[0].headers['ratelimit']).toBeUndefined();
          expect(roundTripsOf(app) - tripsBefore).toBe(PARALLEL);
          // The client's own count: one command sent per round trip (the scripts are loaded already).
          expect(sent.sent - sentBefore).toBe(PARALLEL);
        });
      }

      it(`${adapter}: a token's first request on an instance adds the rate limit's pre-check read, once`, async () => {
        const app = apps[index];
        const issue = async () =>
          (await app.get(TokenService).issueAccessToken({ sub: `u-${randomUUID()}`, role: 'user' })).token;
        const [limited, unlimited] = [await issue(), await issue()];
        let before = roundTripsOf(app);
        // Before its signature is checked, the address's counters are read (a client already over its
        // limit is refused without that cost); then the records and the charge go in one script.
        expect((await get(app, '/api/rt/limited', limited)).status).toBe(200);
        expect(roundTripsOf(app) - before).toBe(2);
        before = roundTripsOf(app);
        expect((await get(app, '/api/rt/limited', limited)).status).toBe(200);
        expect(roundTripsOf(app) - before).toBe(1);
        before = roundTripsOf(app);
        expect((await get(app, '/api/rt/unlimited', unlimited)).status).toBe(200);
        expect(roundTripsOf(app) - before).toBe(1);
      });
    }

    itRevocationBites('both instances', () => apps);
  });
}

describeWithServices('store round trips per request (Redis)', ['redis'], ({ redis: url }) => {
  describeRoundTrips('Redis', (keyPrefix) => ({ type: 'redis', url, keyPrefix }));
});

describeWithServices('store round trips per request (Redis Cluster)', ['redisCluster'], ({ redisCluster }) => {
  describeRoundTrips('Redis Cluster', (keyPrefix) => ({
    type: 'redis',
    cluster: { nodes: redisCluster.split(',') },
    keyPrefix,
  }));
});

describe('revocation read with the rate-limit charge, on the memory store', () => {
  for (const adapter of ADAPTERS) {
    describe(adapter, () => {
      let app: INestApplication;
      beforeAll(async () => {
        app = await createApp(adapter, metadata(serverConfig('ES256').jwt, { type: 'memory' }));
      });
      afterAll(async () => {
        await app?.close();
      });
      itRevocationBites('one instance', () => [app]);
    });
  }
});
