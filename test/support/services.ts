/**
 * Suites that need a real PostgreSQL or Redis declare it here instead of guarding with
 * `if (process.env.REDIS_URL)`, which made them pass by construction when the variable was missing.
 *
 * - Every variable set: the suite runs, `body` receives the URLs.
 * - A variable missing on a workstation: the suite's tests are declared under `describe.skip`, with
 *   the missing variables in the suite's name, so Jest's summary counts them as skipped.
 * - A variable missing in CI (`CI` set, as `.ci/run` and most CI systems do): one failing test names
 *   the missing variable, so a pipeline that lost its services cannot go green.
 */

/** A real service a suite runs against, and the variable that locates it. */
export type Service = 'redis' | 'postgres' | 'redisCluster';

const VARIABLE: Readonly<Record<Service, string>> = {
  redis: 'REDIS_URL',
  postgres: 'DATABASE_URL',
  redisCluster: 'REDIS_CLUSTER_NODES',
};

/**
 * Syntactically valid stand-ins handed to `body` while its tests are only being declared as skipped,
 * so code that parses the URL at declaration time does not throw. Nothing connects to them: Jest runs
 * no hook and no test of a skipped suite.
 */
const PLACEHOLDER: Readonly<Record<Service, string>> = {
  redis: 'redis://skipped.invalid:6379',
  postgres: 'postgres://skipped.invalid:5432/skipped',
  redisCluster: 'skipped.invalid:7000',
};

/** The URL of each requested service, by service. */
export type ServiceUrls<S extends Service> = Readonly<Record<S, string>>;

/** True when the tests run in CI, where a missing service is a failure and not a skip. */
export function runningInCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env.CI?.trim().toLowerCase();
  return value !== undefined && value !== '' && value !== 'false' && value !== '0';
}

/** The variables among `services` that are unset or empty. */
export function missingServiceVariables(services: readonly Service[], env: NodeJS.ProcessEnv = process.env): string[] {
  return services.map((service) => VARIABLE[service]).filter((name) => !env[name]?.trim());
}

/**
 * `describe(title, …)` that needs `services`: runs with their URLs, is reported as skipped locally
 * when one is missing, and fails in CI when one is missing.
 */
export function describeWithServices<S extends Service>(
  title: string,
  services: readonly S[],
  body: (urls: ServiceUrls<S>) => void,
): void {
  const missing = missingServiceVariables(services);
  if (missing.length === 0) {
    describe(title, () => body(urlsFrom(services, (service) => process.env[VARIABLE[service]] ?? '')));
    return;
  }
  const needs = missing.join(' and ');
  if (runningInCi()) {
    describe(title, () => {
      it(`needs ${needs}`, () => {
        throw new Error(
          `${needs} ${missing.length === 1 ? 'is' : 'are'} not set: CI must run this suite against the real services`,
        );
      });
    });
    return;
  }
  // Jest names no test of a file whose every suite is skipped, so the reason is also written out.
  process.stderr.write(`skipped: ${title} (${needs} not set; with CI set this fails)\n`);
  describe.skip(`${title} [skipped: ${needs} not set]`, () =>
    body(urlsFrom(services, (service) => PLACEHOLDER[service])));
}

function urlsFrom<S extends Service>(services: readonly S[], url: (service: S) => string): ServiceUrls<S> {
  return Object.fromEntries(services.map((service) => [service, url(service)])) as Record<S, string>;
}
