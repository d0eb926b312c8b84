import type { ExecutionContext } from '@nestjs/common';
import { ErrorCode, SecurityException, type SecurityPrincipal } from '@api-security/nestjs';
import { ApiKeyManagementGuard } from './api-key-management.guard';

function context(principal?: SecurityPrincipal): ExecutionContext {
  return { switchToHttp: () => ({ getRequest: () => ({ principal }) }) } as unknown as ExecutionContext;
}

const principal = (authMethod: string): SecurityPrincipal => ({ id: 'u1', roles: ['user'], authMethod, scopes: [] });

describe('ApiKeyManagementGuard', () => {
  const guard = new ApiKeyManagementGuard();

  it('lets a signed-in user through', () => {
    expect(guard.canActivate(context(principal('jwt')))).toBe(true);
  });

  it.each([
    ['an API key', principal('api-key')],
    ['no principal', undefined],
  ])('refuses %s with 403', (_l, p) => {
    let error: unknown;
    try {
      guard.canActivate(context(p));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SecurityException);
    expect((error as SecurityException).getStatus()).toBe(403);
    expect((error as SecurityException).code).toBe(ErrorCode.FORBIDDEN);
  });
});
