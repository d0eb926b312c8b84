import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { ErrorCode, PRINCIPAL_KEY, SecurityException, type SecurityRequest } from '@api-security/nestjs';

/**
 * Keys may not manage keys: a leaked key must not be able to mint its own replacements or revoke the
 * owner's others. Runs after the global security guard, so the principal is already established.
 */
@Injectable()
export class ApiKeyManagementGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const principal = context.switchToHttp().getRequest<SecurityRequest>()[PRINCIPAL_KEY];
    if (!principal || principal.authMethod === 'api-key') {
      throw new SecurityException(403, ErrorCode.FORBIDDEN, {
        reason: principal ? 'API keys may not manage API keys' : 'no principal on an API-key management route',
      });
    }
    return true;
  }
}
