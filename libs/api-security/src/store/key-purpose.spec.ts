import {
  accountClientFailuresKey,
  accountFailuresKey,
  accountLockKey,
  clientBlockedUntilKey,
  clientFailuresKey,
} from '../authentication/login-attempts.keys';
import { issuedRefreshTokenKey, liveRefreshTokenKey, refreshFamilyKey } from '../authentication/refresh-token.keys';
import { revokedJtiKey, userValidAfterKey } from '../authentication/revocation.keys';
import { challengeKey, challengeUsedKey, flowCooldownKey, flowCounterKey } from '../flows/flow.keys';
import { BLOCK_SUFFIX } from './consume.keys';
import { classifyKey } from './key-purpose';

describe('classifyKey', () => {
  it.each([
    [revokedJtiKey('u1', 'j'), 'revocation'],
    [userValidAfterKey('u1'), 'revocation'],
    [liveRefreshTokenKey('h'), 'refreshToken'],
    [issuedRefreshTokenKey('h'), 'refreshToken'],
    [refreshFamilyKey('f'), 'refreshToken'],
    [challengeKey('c'), 'challenge'],
    [challengeUsedKey('c'), 'challenge'],
    [accountFailuresKey('a'), 'lockout'],
    [accountClientFailuresKey('a', 'c'), 'lockout'],
    [accountLockKey('a'), 'lockout'],
    [clientFailuresKey('c'), 'lockout'],
    [clientBlockedUntilKey('c'), 'lockout'],
    [flowCounterKey('checkout', 'principal', 'u1', 'attempts', 3600), 'velocity'],
    [flowCooldownKey('checkout', 'principal', 'u1'), 'velocity'],
    ['some:app:key', 'application'],
  ])('%s is a security record (%s)', (key, purpose) => {
    expect(classifyKey(key)).toMatchObject({ purpose, capacity: 'security', owner: 'known' });
  });

  it.each([
    ['rl:{ip:10.0.0.1}:global', 'rateLimit', 'anonymous'],
    ['rl:{ip:2001:db8::/64}:global' + BLOCK_SUFFIX, 'rateLimit', 'anonymous'],
    ['rl:{anon-net:10.0.0.0/16}:global', 'rateLimit', 'anonymous'],
    ['rl:{p:user-1}:global', 'rateLimit', 'known'],
    ['rl:{u:user-1}:global', 'rateLimit', 'known'],
    [flowCounterKey('a:b', 'ip', '10.0.0.1', 'attempts', 60), 'velocity', 'anonymous'],
    [flowCooldownKey('checkout', 'ip', '10.0.0.1'), 'velocity', 'anonymous'],
    ['alert:{ip:abc}:login.failed:5/60', 'alerts', 'known'],
  ])('%s is a counter (%s, %s)', (key, purpose, owner) => {
    expect(classifyKey(key)).toEqual({ purpose, capacity: 'counter', owner });
  });
});
