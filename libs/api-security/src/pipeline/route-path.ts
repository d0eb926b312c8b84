import { RequestMethod, VERSION_NEUTRAL, VersioningType, type VersioningOptions } from '@nestjs/common';

/** The HTTP method name for Nest's `RequestMethod` enum value. */
export function methodName(method: RequestMethod): string {
  return RequestMethod[method] ?? 'ALL';
}

function segments(...parts: (string | undefined)[]): string {
  const joined = parts
    .filter((p): p is string => typeof p === 'string' && p.length > 0)
    .map((p) => p.replace(/^\/+|\/+$/g, ''))
    .filter((p) => p.length > 0)
    .join('/');
  return `/${joined}`;
}

/** Version strings from Nest's version metadata (a string, a list, or VERSION_NEUTRAL). */
export function versionsOf(metadata: unknown, versioning: VersioningOptions | undefined): string[] {
  const value = metadata ?? (versioning && 'defaultVersion' in versioning ? versioning.defaultVersion : undefined);
  if (value === undefined || value === VERSION_NEUTRAL) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.filter((v): v is string => typeof v === 'string');
}

/** The paths a route is served at, as Nest's router builds them for URI versioning. */
export function fullPaths(
  globalPrefix: string,
  controllerPath: string,
  handlerPath: string,
  versions: readonly string[],
  versioning: VersioningOptions | undefined,
): string[] {
  if (versioning?.type === VersioningType.URI && versions.length > 0) {
    const prefix = versioning.prefix === false ? '' : (versioning.prefix ?? 'v');
    return versions.map((v) => segments(globalPrefix, `${prefix}${v}`, controllerPath, handlerPath));
  }
  return [segments(globalPrefix, controllerPath, handlerPath)];
}

/** Names of the route parameters in a path (`/users/:userId/orders/:id` → `['userId', 'id']`). */
export function pathParams(path: string): string[] {
  return [...path.matchAll(/:([A-Za-z_$][\w$]*)/g)].map((match) => match[1] as string);
}
