import { ConfigErrorCode } from '../errors/config-codes';
import type { AuditFinding } from '../plan/route-plan';

/**
 * Thrown at boot when routes cannot be secured as declared: `code` is `ERR_CONFIG_ROUTE_AUDIT` for
 * findings of the boot audit (strict mode), `ERR_CONFIG_INVALID_ROUTE_DECLARATION` for a route's
 * own declaration that cannot be compiled (in every mode). `findings` lists each route and problem,
 * so tooling need not parse the message, which groups them one line per route.
 */
export class RouteAuditError extends Error {
  constructor(
    readonly findings: readonly AuditFinding[],
    readonly code: ConfigErrorCode = ConfigErrorCode.ROUTE_AUDIT,
  ) {
    super(RouteAuditError.report(findings));
    this.name = 'RouteAuditError';
  }

  /** One line per offending route, its findings joined, so a long report still reads route by route. */
  static report(findings: readonly AuditFinding[]): string {
    const byRoute = new Map<string, string[]>();
    for (const finding of findings) {
      byRoute.set(finding.route, [...(byRoute.get(finding.route) ?? []), finding.message]);
    }
    const lines = [...byRoute].map(([route, messages]) => `  - ${route}: ${messages.join(' ')}`).join('\n');
    return `Route security audit found ${findings.length} problem(s) on ${byRoute.size} route(s):\n${lines}`;
  }
}
