import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { validate } from 'class-validator';
import { findInputViolations } from '../properties/input-integrity';
import { findPrototypeKeys } from '../properties/prototype-keys';
import { flattenValidationErrors } from '../properties/security-validation.pipe';
import { ThirdPartyInvalidError } from './outbound.errors';
import type { SafeHttpClient, SafeHttpRequest, SafeHttpResponse } from './safe-http.client';

/** A `SafeHttpClient` request plus the DTO class the third-party JSON is validated against. */
export interface FetchValidatedOptions extends SafeHttpRequest {
  /**
   * Largest JSON body accepted, in bytes (the client's `maxResponseBytes` applies first).
   * @default 262144 (256 KiB)
   */
  maxBytes?: number;
  /**
   * Deepest nesting of objects and arrays accepted.
   * @default 32
   */
  maxDepth?: number;
}

/** Why a third-party response was refused; the `reason` of the `third_party.invalid` event. */
export type ThirdPartyInvalidReason = 'status' | 'content_type' | 'too_large' | 'not_json' | 'too_deep' | 'schema';

const JSON_TYPE = /^application\/(?:[a-z0-9.-]+\+)?json$/;

function depthOf(value: unknown, limit: number): number {
  let deepest = 0;
  const pending: [unknown, number][] = [[value, 1]];
  while (pending.length > 0) {
    const [current, depth] = pending.pop() as [unknown, number];
    if (typeof current !== 'object' || current === null) continue;
    deepest = Math.max(deepest, depth);
    if (deepest > limit) return deepest;
    for (const child of Object.values(current)) pending.push([child, depth + 1]);
  }
  return deepest;
}

/**
 * Fetches JSON through `SafeHttpClient` and returns it only as a validated `dto` instance (OWASP
 * API10): a 2xx JSON object within size and depth limits, without prototype keys, whose nested-DTO
 * properties hold plain objects (or arrays of them, never arrays or primitives in their place), that
 * passes the DTO's class-validator rules with `whitelist` and `forbidNonWhitelisted` (so a missing
 * field, an extra field, a wrong type or an oversized value refuses the whole response). Give the DTO bounds
 * on every field (`@MaxLength`, `@Max`, `@ArrayMaxSize`). Anything else throws
 * {@link ThirdPartyInvalidError} (502 `ERR_THIRD_PARTY_INVALID`) and emits `third_party.invalid`:
 * unvalidated third-party data is never handed on.
 *
 * @throws ThirdPartyInvalidError, or the client's OutboundRefusedError / OutboundFailedError.
 */
export async function fetchValidated<T extends object>(
  client: SafeHttpClient,
  url: string | URL,
  dto: ClassConstructor<T>,
  options: FetchValidatedOptions = {},
): Promise<T> {
  const { maxBytes = 262_144, maxDepth = 32, ...init } = options;
  const response = await client.request(url, init);
  const invalid = (reason: ThirdPartyInvalidReason, problems: readonly string[]): ThirdPartyInvalidError => {
    const host = new URL(response.url).hostname;
    client.events?.emit({
      type: 'third_party.invalid',
      reason,
      ...init.context,
      details: { host, problems: problems.length, dto: dto.name },
    });
    return new ThirdPartyInvalidError(host, problems);
  };
  const json = parseJson(response, maxBytes, maxDepth, invalid);
  // class-transformer would turn `[[…]]` under a nested DTO into arrays that validate as empty.
  const misshapen = findInputViolations(json, dto, { controlCharacters: false });
  if (misshapen.length > 0) {
    throw invalid(
      'schema',
      misshapen.map(({ field, message }) => `${field}: ${message}`),
    );
  }
  const instance = plainToInstance(dto, json);
  const errors = await validate(instance, {
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    validationError: { target: false, value: false },
  });
  if (errors.length > 0) {
    throw invalid(
      'schema',
      flattenValidationErrors(errors).map(({ field, message }) => `${field}: ${message}`),
    );
  }
  return instance;
}

function parseJson(
  response: SafeHttpResponse,
  maxBytes: number,
  maxDepth: number,
  invalid: (reason: ThirdPartyInvalidReason, problems: readonly string[]) => ThirdPartyInvalidError,
): Record<string, unknown> {
  if (response.status < 200 || response.status > 299) throw invalid('status', [`status ${response.status}`]);
  if (response.contentType === undefined || !JSON_TYPE.test(response.contentType)) {
    throw invalid('content_type', [`content type ${response.contentType ?? 'none'}`]);
  }
  if (response.body.length > maxBytes) throw invalid('too_large', [`body over ${maxBytes} bytes`]);
  let json: unknown;
  try {
    json = JSON.parse(response.text()) as unknown;
  } catch {
    throw invalid('not_json', ['body is not JSON']);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw invalid('schema', ['body is not a JSON object']);
  }
  if (depthOf(json, maxDepth) > maxDepth) throw invalid('too_deep', [`nesting deeper than ${maxDepth}`]);
  const poisoned = findPrototypeKeys(json);
  if (poisoned.length > 0)
    throw invalid(
      'schema',
      poisoned.map((path) => `${path}: not an accepted property name`),
    );
  return json as Record<string, unknown>;
}
