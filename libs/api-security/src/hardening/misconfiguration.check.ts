import { ApiSecurityConfigError, type ResolvedApiSecurityOptions } from '../api-security.options';
import { ConfigErrorCode } from '../errors/config-codes';

/** Facts about the application around the module, which only the application knows. */
export interface DeploymentFacts {
  /** Swagger UI (or another interactive documentation page) is served. */
  swaggerUi?: boolean;
  /** TypeORM `synchronize` (schema changed at start from the entities). */
  typeormSynchronize?: boolean;
  /** Express/Fastify `trust proxy` value as set on the app. */
  trustProxy?: unknown;
  /** CORS configured outside the module (e.g. `app.enableCors`), if any. */
  cors?: { origin?: unknown; credentials?: boolean };
  /** `Strict-Transport-Security` sent (false when another layer turned it off). @default true */
  hsts?: boolean;
}

/** Options of {@link checkDeployment}. */
export interface DeploymentCheckOptions {
  /**
   * `refuse` throws {@link ApiSecurityConfigError} (code `ERR_CONFIG_INSECURE_DEPLOYMENT`) listing every finding; `warn` hands each to `warn`.
   * @default 'refuse'
   */
  mode?: 'refuse' | 'warn';
  /** Receives each finding in `warn` mode. @default console.warn */
  warn?: (message: string) => void;
}

const wildcard = (origin: unknown): boolean =>
  origin === '*' || origin === true || (Array.isArray(origin) && origin.includes('*'));

/**
 * Insecure settings for a production deployment, one message each naming the setting and the fix.
 * Empty outside production (`options.production` false): development may use Swagger UI and
 * `synchronize`.
 */
export function findMisconfigurations(options: ResolvedApiSecurityOptions, facts: DeploymentFacts = {}): string[] {
  if (!options.production) return [];
  const findings: string[] = [];
  if (facts.cors && wildcard(facts.cors.origin) && facts.cors.credentials) {
    findings.push(
      'CORS allows any origin (*) with credentials: list exact origins in hardening.cors.origins instead of app.enableCors.',
    );
  } else if (facts.cors && wildcard(facts.cors.origin)) {
    findings.push(
      'CORS allows any origin (*): list exact origins in hardening.cors.origins instead of app.enableCors.',
    );
  }
  if (options.hardening.cors?.credentials && options.hardening.cors.origins.some((o) => o.startsWith('http://'))) {
    findings.push(
      'hardening.cors sends credentials to an http:// origin: use https:// origins, or set credentials: false.',
    );
  }
  if (facts.hsts === false) {
    findings.push(
      'Strict-Transport-Security is disabled: keep HSTS on in production (hardening.hstsMaxAgeSeconds) and serve HTTPS only.',
    );
  } else if (options.hardening.hstsMaxAgeSeconds < 15_552_000) {
    findings.push(
      `hardening.hstsMaxAgeSeconds is ${options.hardening.hstsMaxAgeSeconds}: use at least 15552000 (180 days) in production.`,
    );
  }
  if (facts.swaggerUi) {
    findings.push(
      'Swagger UI is served in production: do not call SwaggerModule.setup when production (serve the JSON document only).',
    );
  }
  if (facts.typeormSynchronize) {
    findings.push('TypeORM synchronize is true: set synchronize: false and change the schema with migrations.');
  }
  if (facts.trustProxy === true) {
    findings.push(
      "trust proxy is true (every X-Forwarded-For hop trusted, so clients choose their IP): set the number of proxies or their addresses, e.g. app.set('trust proxy', 1).",
    );
  }
  return findings;
}

/**
 * Runs {@link findMisconfigurations} at boot and refuses to start (default) or warns. Call it from
 * `main.ts`/bootstrap once the app is built, with the facts only the application knows.
 *
 * @example
 * ```ts
 * checkDeployment(app.get(API_SECURITY_OPTIONS), { swaggerUi: false, typeormSynchronize: false, trustProxy: 1 });
 * ```
 */
export function checkDeployment(
  options: ResolvedApiSecurityOptions,
  facts: DeploymentFacts = {},
  check: DeploymentCheckOptions = {},
): string[] {
  const findings = findMisconfigurations(options, facts);
  if (findings.length === 0) return findings;
  if ((check.mode ?? 'refuse') === 'refuse') {
    throw new ApiSecurityConfigError(findings, ConfigErrorCode.INSECURE_DEPLOYMENT);
  }
  const warn = check.warn ?? ((message: string) => console.warn(message));
  for (const finding of findings) warn(`Insecure production setting: ${finding}`);
  return findings;
}
