import type { OwnedResourcePlan } from '../plan/authorization-plan';
import type { RoutePlan } from '../plan/route-plan';
import { fillPath, httpMethod, send, type HttpTarget, type RequestHeaders } from './http-target';
import { routePlans, type NestAppLike } from './route-discovery';

/** What `probeBola` needs: the routes and ids to try, the owner and the other principal. */
export interface BolaProbeOptions {
  /** Principal A's resources: resource name (as in `@Owns('order')`) → an id A owns. */
  ids: Readonly<Record<string, string>>;
  /** A's credentials, e.g. `{ Authorization: 'Bearer …' }` (used for the control reads). */
  owner: RequestHeaders;
  /** B's credentials: B owns none of `ids` and holds no bypass role. */
  other: RequestHeaders;
  /** Values for route parameters other than the ownership one (e.g. `{ orgId }`). */
  params?: Readonly<Record<string, string>>;
  /** Body to send per route key (`'PATCH /api/v1/users/:id'`); `{}` otherwise for POST/PUT/PATCH. */
  bodies?: Readonly<Record<string, unknown>>;
  /**
   * Before B's call, A reads each GET route with the same id and must get 2xx; otherwise the id (or
   * A's credentials) is wrong and B's refusal would prove nothing, which is reported as a finding.
   * @default true
   */
  control?: boolean;
  /** Only probe the routes this accepts (all `@Owns` routes by default). */
  include?: (route: RoutePlan) => boolean;
  /** Where to send the requests. @default the app */
  target?: HttpTarget;
}

/** A route that let B through, or whose probe proves nothing. */
export interface BolaFinding {
  /** `GET /api/v1/orders/:id` */
  readonly route: string;
  /** The URL called. */
  readonly url: string;
  /** Who was calling: `other` (B, the attack) or `owner` (A, the control). */
  readonly as: 'other' | 'owner';
  readonly expected: string;
  readonly status: number;
  readonly message: string;
}

/** What `probeBola` found: every route tried and each one that leaked. */
export interface BolaReport {
  /** Route keys B was sent to. */
  readonly probed: string[];
  /** Routes that answered B with anything but the plan's 404/403, and failed controls. Must be empty. */
  readonly findings: BolaFinding[];
  /** `@Owns` routes that could not be probed (no id for the resource, an unfilled parameter…). Coverage gaps. */
  readonly unprobed: { route: string; reason: string }[];
  /** `@Owns(false, { reason })` routes, listed so that opt-outs stay visible. */
  readonly optedOut: { route: string; reason: string }[];
}

const ORDER: Record<string, number> = { get: 0, head: 0, options: 0, post: 1, put: 1, patch: 1, delete: 2 };

/**
 * Two-principal BOLA prober (OWASP API1): for every `@Owns(resource)` route of a running app,
 * calls it as principal B with an id principal A owns and expects the status the route's plan
 * promises (404, or 403 with `onDenied: 403`). Reads first, writes next, deletes last, so a route
 * that wrongly deletes A's resource cannot hide a finding on another route.
 *
 * @example
 * ```ts
 * const report = await probeBola(app, { ids: { order: orderOfA }, owner: bearerA, other: bearerB });
 * expect(report.findings).toEqual([]);
 * expect(report.unprobed).toEqual([]);
 * ```
 */
export async function probeBola(app: NestAppLike, options: BolaProbeOptions): Promise<BolaReport> {
  const target = options.target ?? (app as unknown as HttpTarget);
  const report: BolaReport = { probed: [], findings: [], unprobed: [], optedOut: [] };
  const owned: { plan: RoutePlan; ownership: OwnedResourcePlan; url: string }[] = [];
  for (const plan of routePlans(app)) {
    const ownership = plan.ownership;
    if (!ownership) continue;
    if (ownership.kind === 'opt-out') {
      report.optedOut.push({ route: plan.key, reason: ownership.reason });
      continue;
    }
    if (options.include && !options.include(plan)) continue;
    const id = Object.hasOwn(options.ids, ownership.resource) ? options.ids[ownership.resource] : undefined;
    if (id === undefined) {
      report.unprobed.push({ route: plan.key, reason: `no id of A given for resource "${ownership.resource}"` });
      continue;
    }
    const method = httpMethod(plan.method);
    if (!method) {
      report.unprobed.push({ route: plan.key, reason: `method ${plan.method} is not probed` });
      continue;
    }
    const { path, missing } = fillPath(plan.path, { ...options.params, [ownership.param]: id });
    if (missing.length > 0) {
      report.unprobed.push({ route: plan.key, reason: `no value for route parameter(s) ${missing.join(', ')}` });
      continue;
    }
    owned.push({ plan, ownership, url: path });
  }
  owned.sort((a, b) => (ORDER[a.plan.method.toLowerCase()] ?? 1) - (ORDER[b.plan.method.toLowerCase()] ?? 1));

  for (const { plan, ownership, url } of owned) {
    const method = httpMethod(plan.method) as NonNullable<ReturnType<typeof httpMethod>>;
    const body =
      options.bodies && Object.hasOwn(options.bodies, plan.key)
        ? options.bodies[plan.key]
        : ['post', 'put', 'patch'].includes(method)
          ? {}
          : undefined;
    if ((options.control ?? true) && (method === 'get' || method === 'head')) {
      const control = await send(target, method, url, options.owner);
      if (control.status < 200 || control.status > 299) {
        report.findings.push({
          route: plan.key,
          url,
          as: 'owner',
          expected: '2xx',
          status: control.status,
          message: `A could not read its own ${ownership.resource} (${control.status}): the id or A's credentials are wrong, so B's refusal would prove nothing`,
        });
        continue;
      }
    }
    report.probed.push(plan.key);
    const res = await send(target, method, url, options.other, body);
    if (res.status !== ownership.onDenied) {
      report.findings.push({
        route: plan.key,
        url,
        as: 'other',
        expected: String(ownership.onDenied),
        status: res.status,
        message:
          res.status >= 200 && res.status < 300
            ? `B was served A's ${ownership.resource} (${res.status}): broken object-level authorization`
            : `B got ${res.status} instead of ${ownership.onDenied} for A's ${ownership.resource}`,
      });
    }
  }
  return report;
}
