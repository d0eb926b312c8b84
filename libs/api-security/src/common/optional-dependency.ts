/**
 * Loads a module that needs an optional peer dependency, turning "Cannot find module 'x'" into a
 * message that names the feature and the package to install. Optional peers (`ioredis`, `typeorm`,
 * `@nestjs/swagger`, `supertest`) are loaded only when the feature that needs them is configured,
 * so an app that does not use them installs and boots without them.
 */
export function loadOptional<T>(packageName: string, feature: string, load: () => T): T {
  try {
    return load();
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    const message = (error as { message?: unknown } | null)?.message;
    if (code === 'MODULE_NOT_FOUND' && typeof message === 'string' && message.includes(`'${packageName}'`)) {
      throw new MissingOptionalDependencyError(packageName, feature);
    }
    throw error;
  }
}

/** An optional peer dependency that a configured feature needs is not installed. */
export class MissingOptionalDependencyError extends Error {
  readonly code = 'ERR_MISSING_OPTIONAL_DEPENDENCY';

  constructor(
    readonly packageName: string,
    feature: string,
  ) {
    super(`${feature} needs the package '${packageName}', which is not installed: run \`npm install ${packageName}\`.`);
    this.name = 'MissingOptionalDependencyError';
  }
}
