import { ErrorCode } from '../errors/codes';
import { SecurityException, UnauthenticatedException } from '../errors/security.exception';
import type { LoginAttemptsService } from './login-attempts.service';
import type { PasswordService } from './password.service';
import type { RefreshTokenService } from './refresh-token.service';
import type { RevocationService } from './revocation.service';
import type { SecurityPrincipal } from '../common/security-principal';
import { TokenEndpointsService } from './token-endpoints.service';
import type { TokenService } from './token.service';
import type { StoredUser, UserStore } from './user-store';

const EMAIL = 'ann@example.com';
const IP = '203.0.113.9';
const ANN: StoredUser = { id: 'user-ann', passwordHash: '$argon2id$ann', isActive: true, role: 'manager' };
const BOB: StoredUser = { id: 'user-bob', passwordHash: '$argon2id$bob', isActive: true, role: 'admin' };

/** Every collaborator as a recording fake; `calls` lists them in order, to check what ran before what. */
function setup() {
  const accounts = [ANN, BOB];
  const calls: string[] = [];
  const record =
    <A extends unknown[], R>(name: string, impl: (...args: A) => R) =>
    (...args: A): R => {
      calls.push(name);
      return impl(...args);
    };
  const byEmail = new Map<string, StoredUser>([[EMAIL, ANN]]);
  const store = {
    findByEmail: jest.fn(record('findByEmail', async (email: string) => byEmail.get(email) ?? null)),
    findById: jest.fn(record('findById', async (id: string) => accounts.find((u) => u.id === id) ?? null)),
  } satisfies UserStore;
  const passwords = {
    verify: jest.fn(
      record('verify', async (hash: string | null | undefined, password: string) => hash === `$argon2id$${password}`),
    ),
  };
  // What each attempt ended as: the principal it signed in, or false for a counted failure.
  const outcomes: { account: string; ip: string; principalId: string | false }[] = [];
  const attempts = {
    attempt: jest.fn(
      record(
        'attempt',
        async <T extends { principalId?: string }>(account: string, ip: string, verify: () => Promise<T | false>) => {
          const outcome = await verify();
          outcomes.push({ account, ip, principalId: outcome ? (outcome.principalId ?? '') : false });
          return outcome;
        },
      ),
    ),
  };
  const tokens = {
    issueAccessToken: jest.fn(
      record('issueAccessToken', async (claims: { sub: string; role: string; sid?: string }) => ({
        token: `access-for-${claims.sub}`,
        jti: 'jti-1',
        expiresIn: 900,
        expiresAt: 2_000_000_000,
      })),
    ),
  };
  const refreshTokens = {
    issue: jest.fn(
      record('issue', async (userId: string) => ({
        refreshToken: `rt-first-${userId}`,
        familyId: `family-${userId}`,
        expiresAt: 1,
      })),
    ),
    rotate: jest.fn(
      record('rotate', async (token: string, _context?: { ip?: string; requestId?: string }) => {
        const userId = token.replace('rt-of-', '');
        return { userId, refreshToken: `rt-next-${userId}`, familyId: `family-${userId}`, expiresAt: 1 };
      }),
    ),
    revokeFamily: jest.fn(record('revokeFamily', async (_familyId: string, _userId?: string) => undefined)),
  };
  const revocation = {
    revokeToken: jest.fn(record('revokeToken', async (_u: string, _jti: string, _exp: number) => undefined)),
  };
  const service = new TokenEndpointsService(
    store,
    passwords as unknown as PasswordService,
    attempts as unknown as LoginAttemptsService,
    tokens as unknown as TokenService,
    refreshTokens as unknown as RefreshTokenService,
    revocation as unknown as RevocationService,
  );
  return { service, calls, store, passwords, attempts, outcomes, tokens, refreshTokens, revocation, byEmail };
}

async function refusal(pending: Promise<unknown>): Promise<SecurityException> {
  const error = await pending.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(SecurityException);
  return error as SecurityException;
}

/** What the client sees of a refusal: status, code, detail and headers (the reason is only logged). */
function asSeen(error: SecurityException) {
  return { status: error.getStatus(), code: error.code, detail: error.detail, headers: error.headers };
}

describe('TokenEndpointsService', () => {
  describe('login', () => {
    it('answers the pair for the account: sub and role from the store, sid = the new refresh family', async () => {
      const { service, tokens, refreshTokens, outcomes } = setup();
      const pair = await service.login(EMAIL, 'ann', IP);
      expect(pair).toEqual({
        accessToken: 'access-for-user-ann',
        refreshToken: 'rt-first-user-ann',
        tokenType: 'Bearer',
        expiresIn: 900,
      });
      expect(refreshTokens.issue).toHaveBeenCalledWith('user-ann');
      expect(tokens.issueAccessToken).toHaveBeenCalledWith({
        sub: 'user-ann',
        role: 'manager',
        sid: 'family-user-ann',
      });
      expect(outcomes).toEqual([{ account: EMAIL, ip: IP, principalId: 'user-ann' }]);
    });

    it('reserves the attempt first: a locked account is refused before any lookup or password check', async () => {
      const { service, calls, attempts, passwords, store, outcomes } = setup();
      const locked = new SecurityException(429, ErrorCode.ACCOUNT_LOCKED, { headers: { 'Retry-After': '60' } });
      attempts.attempt.mockRejectedValueOnce(locked);
      expect(await refusal(service.login(EMAIL, 'ann', IP))).toBe(locked);
      expect(store.findByEmail).not.toHaveBeenCalled();
      expect(passwords.verify).not.toHaveBeenCalled();
      expect(outcomes).toEqual([]);
      expect(calls).toEqual([]);

      const open = setup();
      await open.service.login(EMAIL, 'ann', IP);
      expect(open.calls.slice(0, 3)).toEqual(['attempt', 'findByEmail', 'verify']);
    });

    it('refuses an unknown email, a wrong password and an inactive account alike, each counted as a failure', async () => {
      const unknown = setup();
      const unknownError = await refusal(unknown.service.login('nobody@example.com', 'ann', IP));
      // The dummy-hash path: the same verification work as for an existing account.
      expect(unknown.passwords.verify).toHaveBeenCalledWith(undefined, 'ann');

      const wrong = setup();
      const wrongError = await refusal(wrong.service.login(EMAIL, 'not-ann', IP));

      const inactive = setup();
      inactive.byEmail.set(EMAIL, { ...ANN, isActive: false });
      const inactiveError = await refusal(inactive.service.login(EMAIL, 'ann', IP));

      for (const [run, error] of [
        [unknown, unknownError],
        [wrong, wrongError],
        [inactive, inactiveError],
      ] as const) {
        expect(error).toBeInstanceOf(UnauthenticatedException);
        expect(asSeen(error)).toEqual(asSeen(unknownError));
        expect(run.outcomes).toEqual([
          { account: run === unknown ? 'nobody@example.com' : EMAIL, ip: IP, principalId: false },
        ]);
        expect(run.refreshTokens.issue).not.toHaveBeenCalled();
        expect(run.tokens.issueAccessToken).not.toHaveBeenCalled();
      }
      expect(asSeen(unknownError)).toMatchObject({ status: 401, code: ErrorCode.UNAUTHENTICATED });
    });

    it('verifies a missing hash (account without a password) through the same call, and refuses it', async () => {
      const { service, byEmail, passwords, outcomes } = setup();
      byEmail.set(EMAIL, { ...ANN, passwordHash: null });
      await refusal(service.login(EMAIL, 'ann', IP));
      expect(passwords.verify).toHaveBeenCalledWith(null, 'ann');
      expect(outcomes).toEqual([{ account: EMAIL, ip: IP, principalId: false }]);
    });
  });

  describe('refresh', () => {
    it("spends the token with the request's context and mints the next pair for the token's owner", async () => {
      const { service, refreshTokens, store, tokens } = setup();
      const pair = await service.refresh('rt-of-user-bob', { ip: IP, requestId: 'req-1' });
      expect(refreshTokens.rotate).toHaveBeenCalledWith('rt-of-user-bob', { ip: IP, requestId: 'req-1' });
      expect(store.findById).toHaveBeenCalledWith('user-bob');
      expect(tokens.issueAccessToken).toHaveBeenCalledWith({ sub: 'user-bob', role: 'admin', sid: 'family-user-bob' });
      expect(pair).toEqual({
        accessToken: 'access-for-user-bob',
        refreshToken: 'rt-next-user-bob',
        tokenType: 'Bearer',
        expiresIn: 900,
      });
    });

    it('lets a refused rotation through untouched, with no lookup', async () => {
      const { service, refreshTokens, store } = setup();
      const spent = new UnauthenticatedException('spent', 'invalid_token');
      refreshTokens.rotate.mockRejectedValueOnce(spent);
      expect(await refusal(service.refresh('rt-of-user-ann', {}))).toBe(spent);
      expect(store.findById).not.toHaveBeenCalled();
    });

    it.each<[string, StoredUser | null]>([
      ['gone', null],
      ['inactive', { ...ANN, isActive: false }],
      ['answered as another account by the store', BOB],
    ])('ends the session and refuses with invalid_token when the owner is %s', async (_case, answer) => {
      const { service, refreshTokens, tokens, store } = setup();
      store.findById.mockResolvedValueOnce(answer);
      const error = await refusal(service.refresh('rt-of-user-ann', {}));
      expect(store.findById).toHaveBeenCalledWith('user-ann');
      expect(asSeen(error)).toMatchObject({
        status: 401,
        headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
      });
      expect(refreshTokens.revokeFamily).toHaveBeenCalledWith('family-user-ann', 'user-ann');
      expect(tokens.issueAccessToken).not.toHaveBeenCalled();
    });
  });

  describe('logout', () => {
    const principal = (extra: Partial<SecurityPrincipal>): SecurityPrincipal => ({
      id: 'user-ann',
      roles: ['user'],
      authMethod: 'jwt',
      scopes: [],
      ...extra,
    });

    it("ends the token's session: its refresh family and every access token of it, named by its owner", async () => {
      const { service, revocation, refreshTokens } = setup();
      await service.logout(principal({ tokenId: 'jti-9', expiresAt: 2_000_000_000, sessionId: 'family-ann' }));
      expect(refreshTokens.revokeFamily).toHaveBeenCalledWith('family-ann', 'user-ann');
      // The session record covers this token too: no second write.
      expect(revocation.revokeToken).not.toHaveBeenCalled();
    });

    it('revokes a token without a session (minted outside the endpoints) until its exp', async () => {
      const { service, revocation, refreshTokens } = setup();
      await service.logout(principal({ tokenId: 'jti-9', expiresAt: 2_000_000_000 }));
      expect(revocation.revokeToken).toHaveBeenCalledWith('user-ann', 'jti-9', 2_000_000_000);
      expect(refreshTokens.revokeFamily).not.toHaveBeenCalled();
    });

    it('does nothing for a credential with no expiry and no session (an API key)', async () => {
      const { service, revocation, refreshTokens } = setup();
      await service.logout(principal({ authMethod: 'api-key', tokenId: 'key-1' }));
      expect(revocation.revokeToken).not.toHaveBeenCalled();
      expect(refreshTokens.revokeFamily).not.toHaveBeenCalled();
    });
  });
});
