import type { SecurityPrincipal } from '../common/security-principal';
import { ownsValue } from './owner-match';

const principal = (id: unknown): SecurityPrincipal =>
  ({ id, roles: [], authMethod: 'test', scopes: [] }) as unknown as SecurityPrincipal;

describe('ownsValue', () => {
  it('matches the principal id with a string or integer owner id', () => {
    expect(ownsValue(principal('42'), '42')).toBe(true);
    expect(ownsValue(principal('42'), 42)).toBe(true);
    expect(ownsValue(principal('42'), 42n)).toBe(true);
    expect(ownsValue(principal('42'), '43')).toBe(false);
  });

  it('never makes anyone an owner of a missing, empty or non-scalar owner id', () => {
    expect(ownsValue(principal('42'), undefined)).toBe(false);
    expect(ownsValue(principal('42'), null)).toBe(false);
    expect(ownsValue(principal('42'), { toString: () => '42' })).toBe(false);
    expect(ownsValue(principal('42'), ['42'])).toBe(false);
    expect(ownsValue(principal(''), '')).toBe(false);
    expect(ownsValue(principal(42), '42')).toBe(false);
    expect(ownsValue(undefined, '42')).toBe(false);
  });
});
