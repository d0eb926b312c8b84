import { Module, type DynamicModule } from '@nestjs/common';
import { createTokenEndpointsController } from './token-endpoints.controller';
import { checkTokenEndpointsOptions, type TokenEndpointsOptions } from './token-endpoints.options';
import { TokenEndpointsService } from './token-endpoints.service';
import { USER_STORE } from './user-store';

/**
 * Opt-in login, refresh and logout routes over the application's {@link UserStore}, the way
 * djangorestframework-simplejwt's TokenObtainPair, TokenRefresh and TokenBlacklist views work:
 *
 * - `POST <path>/login` (public) `{ email, password }` → 200 `{ accessToken, refreshToken,
 *   tokenType: 'Bearer', expiresIn }`. An unknown email, a wrong password and an inactive account
 *   get the same 401; after `sessions.maxFailures` consecutive failures the account answers 429
 *   with `Retry-After` (even to the right password) for `sessions.lockoutSeconds`.
 * - `POST <path>/refresh` (public) `{ refreshToken }` → 200, the next pair of the same session
 *   (rotation). A spent token presented again → 401 and the session's refresh family is revoked.
 * - `POST <path>/logout` (authenticated, no body) → 204: the access token and its refresh family
 *   stop working at once; the user's other sessions are unaffected.
 *
 * Needs `ApiSecurityModule` (it provides the session services). Every option is known when the
 * module is built (a class to instantiate, a path, a version, route limits), so there is `forRoot`
 * only: nothing is left for an async factory to compute.
 *
 * @example
 * ```ts
 * @Module({
 *   imports: [
 *     ApiSecurityModule.forRoot({ jwt: { algorithm: 'ES256', privateKey } }),
 *     TokenEndpointsModule.forRoot({
 *       imports: [TypeOrmModule.forFeature([User])],
 *       userStore: TypeOrmUserStore,
 *       path: 'auth',
 *       version: '1',
 *     }),
 *   ],
 * })
 * export class AppModule {}
 * ```
 */
@Module({})
export class TokenEndpointsModule {
  /** The routes, their service and the app's user store (provided under {@link USER_STORE}). */
  static forRoot(options: TokenEndpointsOptions): DynamicModule {
    checkTokenEndpointsOptions(options);
    return {
      module: TokenEndpointsModule,
      imports: [...(options.imports ?? [])],
      controllers: [createTokenEndpointsController(options)],
      providers: [{ provide: USER_STORE, useClass: options.userStore }, TokenEndpointsService],
    };
  }
}
