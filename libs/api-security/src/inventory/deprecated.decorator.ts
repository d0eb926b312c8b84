import { Reflector } from '@nestjs/core';
import type { DeprecationPlan } from '../plan/route-plan';

/** What `@Deprecated` announces about a route. */
export interface DeprecatedOptions {
  /**
   * When the route stopped being recommended: `Deprecation: @<epoch-seconds>` (RFC 9745). Without
   * it the header is `Deprecation: true` (the form of the drafts that preceded RFC 9745).
   * @default undefined
   */
  since?: Date | string;
  /** When the route is retired: `Sunset: <HTTP-date>` (RFC 8594). A `Date` or an ISO 8601 string. */
  sunset: Date | string;
  /** The replacement's URI (usually a path), sent as `Link: <…>; rel="successor-version"`. */
  successor?: string;
  /** URI of the migration notes, sent as `Link: <…>; rel="deprecation"; type="text/html"`. */
  link?: string;
  /**
   * After the sunset: `gone` answers 410 Gone problem details, `serve` keeps answering (with the headers).
   * @default 'gone'
   */
  afterSunset?: 'gone' | 'serve';
}

/**
 * Marks a route (or a whole controller) as deprecated: every response gets `Deprecation`, `Sunset`
 * and `Link` headers, the OpenAPI operation is marked `deprecated`, the route inventory lists the
 * dates, and after the sunset the route answers 410 Gone (unless `afterSunset: 'serve'`).
 *
 * @example
 * ```ts
 * @Deprecated({ since: '2026-01-01', sunset: '2027-01-01', successor: '/api/v1/users/me' })
 * @Get('me')
 * me() { … }
 * ```
 */
export const Deprecated = Reflector.createDecorator<DeprecatedOptions>({ key: 'api-security:deprecated' });

/** Characters that must never reach a header value (they would split or end it). */
const UNSAFE_LINK = /[\s<>"\\]/;

function time(value: Date | string | undefined, name: string, where: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  if (!Number.isFinite(ms)) throw new Error(`@Deprecated on ${where}: ${name} "${String(value)}" is not a date.`);
  return ms;
}

function linkTarget(value: string | undefined, name: string, where: string): string | undefined {
  if (value === undefined) return undefined;
  if (value === '' || UNSAFE_LINK.test(value)) {
    throw new Error(`@Deprecated on ${where}: ${name} must be a URI without spaces, quotes or angle brackets.`);
  }
  return value;
}

/**
 * Validates `@Deprecated` options once at boot and precomputes the header values. Throws with the
 * route named when a date or URI is unusable, so a typo stops the boot instead of a request.
 */
export function compileDeprecation(options: DeprecatedOptions, where: string): DeprecationPlan {
  const since = time(options.since, 'since', where);
  const sunset = time(options.sunset, 'sunset', where);
  if (sunset === undefined) throw new Error(`@Deprecated on ${where}: sunset is required.`);
  if (since !== undefined && since > sunset) throw new Error(`@Deprecated on ${where}: since is after sunset.`);
  const afterSunset = options.afterSunset ?? 'gone';
  if (afterSunset !== 'gone' && afterSunset !== 'serve') {
    throw new Error(`@Deprecated on ${where}: afterSunset must be 'gone' or 'serve'.`);
  }
  const successor = linkTarget(options.successor, 'successor', where);
  const link = linkTarget(options.link, 'link', where);
  const links = [
    ...(successor ? [`<${successor}>; rel="successor-version"`] : []),
    ...(link ? [`<${link}>; rel="deprecation"; type="text/html"`] : []),
  ];
  return {
    ...(since !== undefined ? { since } : {}),
    sunset,
    ...(successor ? { successor } : {}),
    ...(link ? { link } : {}),
    afterSunset,
    headers: {
      Deprecation: since !== undefined ? `@${Math.floor(since / 1000)}` : 'true',
      Sunset: new Date(sunset).toUTCString(),
      ...(links.length > 0 ? { Link: links.join(', ') } : {}),
    },
  };
}
