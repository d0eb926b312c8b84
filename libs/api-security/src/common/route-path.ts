import { RequestMethod, VERSION_NEUTRAL, VersioningType, type VersioningOptions } from '@nestjs/common';
import { MODULE_PATH } from '@nestjs/common/constants';
import type { ApplicationConfig } from '@nestjs/core';
// Nest's own path builder (as @nestjs/swagger uses it): module paths, URI versions, the global prefix
// and its per-method exclusions are joined exactly as the router registers them, so a plan can never
// name a path the application does not serve.
import { RoutePathFactory } from '@nestjs/core/router/route-path-factory';

/** The HTTP method name for Nest's `RequestMethod` enum value. */
export function methodName(method: RequestMethod): string {
  return RequestMethod[method] ?? 'ALL';
}

/** A path a handler is served at and the versions that path answers (empty when unversioned). */
export interface ServedPath {
  readonly path: string;
  readonly versions: readonly string[];
}

/** What Nest knows about one handler of one controller in one module. */
export interface RouteSource {
  /** `RouterModule` path of the controller's host module, if any. */
  readonly modulePath?: string;
  /** `@Controller(path)`, one entry per controller path. */
  readonly controllerPath: string;
  /** `@Get(path)` etc., a string or a list. */
  readonly methodPath: string | readonly string[];
  readonly requestMethod: RequestMethod;
  /** `@Version()` of the method, `@Controller({ version })` of the controller: raw metadata. */
  readonly methodVersion: unknown;
  readonly controllerVersion: unknown;
}

type VersionValue = string | typeof VERSION_NEUTRAL | (string | typeof VERSION_NEUTRAL)[];

function asVersion(value: unknown): VersionValue | undefined {
  if (value === VERSION_NEUTRAL || typeof value === 'string') return value;
  if (Array.isArray(value)) {
    const list = value.filter(
      (v): v is string | typeof VERSION_NEUTRAL => v === VERSION_NEUTRAL || typeof v === 'string',
    );
    return list.length > 0 ? list : undefined;
  }
  return undefined;
}

/** Version strings of a version value; VERSION_NEUTRAL is not a version. */
function versionStrings(value: VersionValue | undefined): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string');
}

/**
 * The `RouterModule` path of a module class for this application, as Nest's router and Swagger read
 * it (per application first, then the one `@Module` may carry itself).
 */
export function modulePathOf(moduleClass: unknown, applicationId: string | undefined): string | undefined {
  if (typeof moduleClass !== 'function') return undefined;
  const own: unknown =
    applicationId === undefined ? undefined : Reflect.getMetadata(MODULE_PATH + applicationId, moduleClass);
  const value: unknown = own ?? Reflect.getMetadata(MODULE_PATH, moduleClass);
  return typeof value === 'string' ? value : undefined;
}

/**
 * Builds the paths Nest's router serves a handler at. Versions count only when versioning is
 * enabled, as in Nest: the controller's version (or `defaultVersion`) unless the method has its own.
 * Under URI versioning each version is its own path; under header, media-type or custom versioning
 * every version shares the path and is listed on it.
 */
export class RoutePaths {
  private readonly factory: RoutePathFactory;

  constructor(private readonly config: ApplicationConfig) {
    this.factory = new RoutePathFactory(config);
  }

  served(source: RouteSource): ServedPath[] {
    const versioning: VersioningOptions | undefined = this.config.getVersioning();
    const methodVersion = versioning ? asVersion(source.methodVersion) : undefined;
    const controllerVersion = versioning
      ? (asVersion(source.controllerVersion) ?? asVersion(versioning.defaultVersion))
      : undefined;
    const version = methodVersion ?? controllerVersion;
    const globalPrefix = this.config.getGlobalPrefix();
    const methodPaths = typeof source.methodPath === 'string' ? [source.methodPath] : [...source.methodPath];
    const build = (v: VersionValue | undefined): string[] =>
      methodPaths.flatMap((methodPath) =>
        this.factory.create(
          {
            ctrlPath: source.controllerPath,
            methodPath,
            modulePath: source.modulePath,
            globalPrefix: globalPrefix ? `/${globalPrefix.replace(/^\/+/, '')}` : globalPrefix,
            methodVersion: v,
            versioningOptions: versioning,
          },
          source.requestMethod,
        ),
      );
    if (versioning?.type === VersioningType.URI && version !== undefined) {
      // One call per version so each path knows the one version it answers.
      const each: (string | typeof VERSION_NEUTRAL)[] = Array.isArray(version) ? version : [version];
      return each.flatMap((v) => build(v).map((path) => ({ path, versions: versionStrings(v) })));
    }
    const versions = versionStrings(version);
    return build(version).map((path) => ({ path, versions }));
  }
}

/** Names of the route parameters in a path (`/users/:userId/orders/:id` → `['userId', 'id']`). */
export function pathParams(path: string): string[] {
  return [...path.matchAll(/:([A-Za-z_$][\w$]*)/g)].map((match) => match[1] as string);
}
