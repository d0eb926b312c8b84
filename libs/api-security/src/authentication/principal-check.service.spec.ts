import type { AppProviderIndex } from '../common/app-provider.index';
import { resolveApiSecurityOptions } from '../api-security.options';
import { ErrorCode } from '../errors/codes';
import { UnauthenticatedException } from '../errors/security.exception';
import { PRINCIPAL_CHECK, type PrincipalCheck } from './principal-check';
import { PrincipalCheckService } from './principal-check.service';
import type { SecurityPrincipal, SecurityRequest } from '../common/security-principal';
import { RecordingEventBus } from '../../spec-support/session-stores';

const request: SecurityRequest = { headers: {}, method: 'GET', url: '/me', ip: '203.0.113.7' };
const principal = (id: string, authMethod = 'jwt'): SecurityPrincipal => ({
  id,
  roles: ['user'],
  authMethod,
  scopes: [],
});

function setup(registered: unknown, cacheSeconds = 5) {
  const events = new RecordingEventBus();
  const providers = {
    find: (token: unknown) => (token === PRINCIPAL_CHECK ? registered : undefined),
  } as unknown as AppProviderIndex;
  const options = resolveApiSecurityOptions({ sessions: { principalCheckCacheSeconds: cacheSeconds } });
  return { service: new PrincipalCheckService(providers, events, options), events };
}

async function refusal(promise: Promise<unknown>): Promise<UnauthenticatedException> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof UnauthenticatedException) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('PrincipalCheckService', () => {
  it('passes everything when the application registered no check', async () => {
    const { service } = setup(undefined);
    await expect(service.assertActive(principal('ghost'), request)).resolves.toBeUndefined();
  });

  it('passes an active subject and refuses a gone or inactive one with 401 invalid_token and an event', async () => {
    const active = new Set(['alice']);
    const { service, events } = setup({ isActive: async (id: string) => active.has(id) } satisfies PrincipalCheck);
    await expect(service.assertActive(principal('alice'), request)).resolves.toBeUndefined();
    const error = await refusal(service.assertActive(principal('ghost'), request));
    expect(error.getStatus()).toBe(401);
    expect(error.code).toBe(ErrorCode.UNAUTHENTICATED);
    expect(error.headers).toEqual({ 'WWW-Authenticate': 'Bearer error="invalid_token"' });
    expect(events.ofType('authentication.failure')).toMatchObject([
      { reason: 'inactive_subject', principalId: 'ghost', ip: '203.0.113.7', details: { authMethod: 'jwt' } },
    ]);
  });

  it("asks about an external provider's subject with its issuer, cached apart from a local id", async () => {
    const asked: [string, string | undefined][] = [];
    const { service, events } = setup({
      isActive: async (id: string, p: SecurityPrincipal) => {
        asked.push([id, p.issuer]);
        return p.issuer === undefined;
      },
    } satisfies PrincipalCheck);
    const external = { ...principal('alice', 'oidc'), issuer: 'https://sso.example.com' };
    await expect(service.assertActive(principal('alice'), request)).resolves.toBeUndefined();
    const error = await refusal(service.assertActive(external, request));
    expect(error.headers).toEqual({ 'WWW-Authenticate': 'Bearer error="invalid_token"' });
    await expect(service.assertActive(principal('alice'), request)).resolves.toBeUndefined();
    expect(asked).toEqual([
      ['alice', undefined],
      ['alice', 'https://sso.example.com'],
    ]);
    expect(events.ofType('authentication.failure')).toHaveLength(1);
  });

  it('refuses API-key principals of a gone subject too', async () => {
    const { service } = setup({ isActive: async () => false });
    expect((await refusal(service.assertActive(principal('owner', 'api-key'), request))).getStatus()).toBe(401);
  });

  it('refuses anything but an explicit true (fail closed)', async () => {
    for (const answer of [undefined, null, 1, 'true', {}]) {
      const { service } = setup({ isActive: async () => answer });
      await expect(service.assertActive(principal('alice'), request)).rejects.toBeInstanceOf(UnauthenticatedException);
    }
  });

  it('refuses every request when the registered provider has no isActive method', async () => {
    const { service } = setup({ findById: async () => ({}) });
    await expect(service.assertActive(principal('alice'), request)).rejects.toBeInstanceOf(UnauthenticatedException);
  });

  it('lets an error of the check propagate: the request fails, it is not let through', async () => {
    const { service } = setup({ isActive: async () => Promise.reject(new Error('db down')) });
    await expect(service.assertActive(principal('alice'), request)).rejects.toThrow('db down');
  });

  it('asks once per subject within sessions.principalCheckCacheSeconds; with 0 on every request', async () => {
    const cached: PrincipalCheck = { isActive: jest.fn(async () => true) };
    const { service } = setup(cached);
    await Promise.all(Array.from({ length: 30 }, () => service.assertActive(principal('alice'), request)));
    await service.assertActive(principal('alice'), request);
    expect(cached.isActive).toHaveBeenCalledTimes(1);

    const uncached: PrincipalCheck = { isActive: jest.fn(async () => true) };
    const { service: every } = setup(uncached, 0);
    await every.assertActive(principal('alice'), request);
    await every.assertActive(principal('alice'), request);
    expect(uncached.isActive).toHaveBeenCalledTimes(2);
  });
});
