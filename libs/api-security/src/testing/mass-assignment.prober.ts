import { isDeepStrictEqual } from 'node:util';
import { fillPath, httpMethod, send, type HttpTarget, type RequestHeaders } from './http-target';
import { bodyRoutes, expandedRoles, type BodyRoute, type NestAppLike } from './route-discovery';

/** How to call one body route as a principal who may not write its restricted fields. */
export interface MassAssignmentTarget {
  /** Route key as in the inventory: `'PATCH /api/v1/users/:id'`. */
  route: string;
  /** Route parameter values, e.g. `{ id: userIdOfTheCaller }`. */
  params?: Readonly<Record<string, string>>;
  /** The caller's credentials (`{}` for a public route). */
  headers: RequestHeaders;
  /** The caller's roles as its credential carries them; the app's role hierarchy is applied. `[]` when anonymous. */
  roles: readonly string[];
  /** A body this caller may send (called once per request, so it can make unique values). */
  body: () => Record<string, unknown>;
  /** Reads the state the route writes; compared before and after every refused request. */
  readBack?: () => Promise<unknown>;
}

/** What `probeMassAssignment` needs: the routes, their bodies and the caller. */
export interface MassAssignmentOptions {
  targets: readonly MassAssignmentTarget[];
  /**
   * Value sent for a field, by field path (`role: 'admin'`); otherwise a guess from its declared
   * type (`true`/`false`, `999999`, `'admin'`).
   */
  values?: Readonly<Record<string, unknown>>;
  /**
   * Name of the undeclared field sent to every target.
   * @default 'isAdmin'
   */
  unknownField?: string;
  /**
   * First sends `body()` alone and expects 2xx, so that a later 400 is known to come from the
   * added field and not from an invalid body.
   * @default true
   */
  control?: boolean;
  /** Statuses that count as a refusal. @default [400, 403] */
  refused?: readonly number[];
  target?: HttpTarget;
}

/** One field `probeMassAssignment` could write although it should not have. */
export interface MassAssignmentFinding {
  readonly route: string;
  /** The field sent, or undefined for a failed control. */
  readonly field?: string;
  readonly status: number;
  readonly message: string;
}

/** What `probeMassAssignment` found. */
export interface MassAssignmentReport {
  /** `route field` pairs sent. */
  readonly probed: string[];
  /** Must be empty. */
  readonly findings: MassAssignmentFinding[];
  /** Body routes without a target (coverage gaps), and targets naming no body route. */
  readonly unprobed: { route: string; reason: string }[];
  /** Routes whose `@Body()` has no DTO class: nothing validates or polices that body. */
  readonly untyped: string[];
}

function guess(route: BodyRoute, field: string): unknown {
  const type: unknown = route.dto && Reflect.getMetadata('design:type', route.dto.prototype as object, field);
  if (type === Boolean) return false;
  if (type === Number) return 999_999;
  return 'admin';
}

function withField(body: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const copy = structuredClone(body);
  const parts = path.split('.');
  let at: Record<string, unknown> = copy;
  for (const part of parts.slice(0, -1)) {
    const next = at[part];
    at[part] = typeof next === 'object' && next !== null && !Array.isArray(next) ? next : {};
    at = at[part] as Record<string, unknown>;
  }
  at[parts.at(-1) as string] = value;
  return copy;
}

/**
 * Mass-assignment prober (OWASP API3): for each body route given a target, sends every
 * `@WritableBy` field the caller's roles may not write, and one undeclared field, each added to a
 * valid body, and expects 400/403 and (with `readBack`) no change. Body routes without a target
 * are listed as unprobed; `@Body()` parameters without a DTO class are listed as untyped.
 */
export async function probeMassAssignment(
  app: NestAppLike,
  options: MassAssignmentOptions,
): Promise<MassAssignmentReport> {
  const target = options.target ?? (app as unknown as HttpTarget);
  const refused = options.refused ?? [400, 403];
  const unknownField = options.unknownField ?? 'isAdmin';
  const routes = bodyRoutes(app);
  const report: MassAssignmentReport = { probed: [], findings: [], unprobed: [], untyped: [] };
  const byKey = new Map<string, BodyRoute[]>();
  for (const route of routes) byKey.set(route.plan.key, [...(byKey.get(route.plan.key) ?? []), route]);
  const targeted = new Set(options.targets.map((t) => t.route));
  for (const [key, found] of byKey) {
    if (found.some((route) => route.dto === undefined)) report.untyped.push(key);
    if (!targeted.has(key)) report.unprobed.push({ route: key, reason: 'no target given for this body route' });
  }

  for (const spec of options.targets) {
    const found = byKey.get(spec.route);
    const method = httpMethod(spec.route.split(' ')[0] ?? '');
    if (!found || !method) {
      report.unprobed.push({ route: spec.route, reason: 'no route with a @Body() parameter has this key' });
      continue;
    }
    const { path, missing } = fillPath(found[0]?.plan.path ?? '', spec.params ?? {});
    if (missing.length > 0) {
      report.unprobed.push({ route: spec.route, reason: `no value for route parameter(s) ${missing.join(', ')}` });
      continue;
    }
    if (options.control ?? true) {
      const res = await send(target, method, path, spec.headers, spec.body());
      if (res.status < 200 || res.status > 299) {
        report.findings.push({
          route: spec.route,
          status: res.status,
          message: `the control body was refused (${res.status}): fix body()/headers, or a refused field proves nothing`,
        });
        continue;
      }
    }
    const roles = expandedRoles(app, spec.roles);
    const fields = new Map<string, unknown>();
    for (const route of found) {
      const prefix = route.property ? `${route.property}.` : '';
      for (const { field, writableBy } of route.restricted) {
        if (writableBy.some((role) => roles.has(role))) continue;
        const top = field.split('.')[0] as string;
        fields.set(`${prefix}${field}`, options.values?.[field] ?? guess(route, top));
      }
    }
    fields.set(unknownField, options.values?.[unknownField] ?? true);

    for (const [field, value] of fields) {
      report.probed.push(`${spec.route} ${field}`);
      const before = spec.readBack ? await spec.readBack() : undefined;
      const res = await send(target, method, path, spec.headers, withField(spec.body(), field, value));
      if (!refused.includes(res.status)) {
        const kind = field === unknownField ? 'an undeclared field' : 'a field its roles may not write';
        report.findings.push({
          route: spec.route,
          field,
          status: res.status,
          message: `${kind} was not refused (${res.status}, expected ${refused.join(' or ')})`,
        });
      }
      if (spec.readBack) {
        const after = await spec.readBack();
        if (!isDeepStrictEqual(before, after)) {
          report.findings.push({
            route: spec.route,
            field,
            status: res.status,
            message: `sending ${field} changed the state read back`,
          });
        }
      }
    }
  }
  return report;
}
