import { Inject, Injectable } from '@nestjs/common';
import { API_SECURITY_OPTIONS, type ResolvedApiSecurityOptions } from '../api-security.options';
import type { SecurityPrincipal } from '../common/security-principal';
import { expandRoles, isPseudoRole } from './role-expansion';

const NO_ROLES: ReadonlySet<string> = new Set();

/** Distinct role lists remembered; credentials can carry arbitrary lists, so the memo is bounded. */
const MAX_CACHED = 1024;

/**
 * A principal's roles expanded through `roles.hierarchy`, memoised per distinct role list so that a
 * request pays one map lookup. Pseudo-role names (`owner`, …) carried as roles are dropped: they
 * are decided per request and object, never by what a credential claims.
 */
@Injectable()
export class PrincipalRoles {
  private readonly hierarchy: Readonly<Record<string, readonly string[]>>;
  private readonly cache = new Map<string, ReadonlySet<string>>();
  /**
   * Single-role lists (the common case) keyed by the role itself, with no JSON per request. A map
   * of its own: a role literally named like another list's JSON must never share its entry.
   */
  private readonly single = new Map<string, ReadonlySet<string>>();

  constructor(@Inject(API_SECURITY_OPTIONS) options: Pick<ResolvedApiSecurityOptions, 'roles'>) {
    this.hierarchy = options.roles.hierarchy;
  }

  /** The expanded roles of `principal`; empty when there is none (anonymous request). */
  of(principal: SecurityPrincipal | undefined): ReadonlySet<string> {
    if (!principal || !Array.isArray(principal.roles) || principal.roles.length === 0) return NO_ROLES;
    const only: unknown = principal.roles.length === 1 ? principal.roles[0] : undefined;
    const [cache, key] = typeof only === 'string' ? [this.single, only] : [this.cache, JSON.stringify(principal.roles)];
    let roles = cache.get(key);
    if (!roles) {
      const claimed = principal.roles.filter((role) => typeof role === 'string' && !isPseudoRole(role));
      roles = expandRoles(claimed, this.hierarchy);
      if (cache.size >= MAX_CACHED) cache.clear();
      cache.set(key, roles);
    }
    return roles;
  }
}
