/** Which response field names count as credentials (the credential tripwire). */
export interface CredentialFieldOptions {
  /**
   * Name patterns of fields that are never sent unless a response class declares them visible
   * (`@VisibleTo` on that exact property). `*` stands for any run of characters; matching ignores
   * case, `_` and `-` (`password*` matches `passwordHash`, `password_hash` and `Password-Reset`).
   * Replaces the defaults: spread {@link DEFAULT_CREDENTIAL_FIELDS} to extend them, `[]` turns the
   * tripwire off.
   * @default DEFAULT_CREDENTIAL_FIELDS
   */
  names?: readonly string[];
  /**
   * Exact field names (same normalization) that match a pattern but are not credentials in this
   * application, such as a pseudonym `fooToken` that grants nothing. Prefer declaring the field on a
   * response class, which documents the decision next to the data.
   * @default []
   */
  allow?: readonly string[];
}

/** {@link CredentialFieldOptions} after validation. */
export interface ResolvedCredentialFieldOptions {
  names: readonly string[];
  allow: readonly string[];
}

/**
 * Default credential field names. Deliberately not `*hash` or `*token*`: `contentHash`,
 * `accountHash` (a keyed pseudonym), `tokenId` and `tokenType` are ordinary data, and a tripwire
 * that fires on them gets switched off.
 */
export const DEFAULT_CREDENTIAL_FIELDS: readonly string[] = Object.freeze([
  'password*',
  'passwd*',
  'passphrase*',
  '*secret*',
  '*token',
  '*tokenhash',
  '*keyhash',
  'apikey',
  '*privatekey',
]);

/** Lower case without `_` and `-`, so `api_key`, `API-Key` and `apiKey` are one name. */
export function normalizeFieldName(name: string): string {
  return name.replace(/[_-]/g, '').toLowerCase();
}

const PATTERN = /^[A-Za-z0-9_*-]{1,64}$/;

/** Validates `credentialFields` into `problems` and fills defaults. */
export function resolveCredentialFieldOptions(
  options: CredentialFieldOptions | undefined,
  problems: string[],
): ResolvedCredentialFieldOptions {
  const names = options?.names ?? DEFAULT_CREDENTIAL_FIELDS;
  const allow = options?.allow ?? [];
  const check = (list: unknown, name: string, wildcard: boolean): void => {
    if (!Array.isArray(list)) {
      problems.push(`credentialFields.${name} must be an array of field names.`);
      return;
    }
    for (const entry of list as unknown[]) {
      if (typeof entry !== 'string' || !PATTERN.test(entry) || (!wildcard && entry.includes('*'))) {
        problems.push(
          `credentialFields.${name} has ${JSON.stringify(entry)}: use letters, digits, _ and -` +
            (wildcard ? ` with * as wildcard, like 'password*'.` : `, no wildcard, like 'accountToken'.`),
        );
      } else if (wildcard && normalizeFieldName(entry).replace(/\*/g, '') === '') {
        problems.push(`credentialFields.${name} has ${JSON.stringify(entry)}, which would match every field.`);
      }
    }
  };
  check(names, 'names', true);
  check(allow, 'allow', false);
  return { names: Object.freeze([...names]), allow: Object.freeze([...allow]) };
}

/** Bound on remembered answers: field names are few, but a response could carry arbitrary keys. */
const MAX_CACHED_NAMES = 10_000;

/**
 * Compiles the patterns once into one regular expression and answers per field name from a
 * bounded cache, so the per-key cost on the response path is one `Map` lookup.
 */
export class CredentialFieldMatcher {
  private readonly pattern: RegExp | undefined;
  private readonly allowed: ReadonlySet<string>;
  private readonly known = new Map<string, boolean>();

  constructor(options: ResolvedCredentialFieldOptions) {
    const alternatives = options.names.map((name) =>
      normalizeFieldName(name)
        .split('*')
        .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*'),
    );
    this.pattern = alternatives.length > 0 ? new RegExp(`^(?:${alternatives.join('|')})$`) : undefined;
    this.allowed = new Set(options.allow.map(normalizeFieldName));
  }

  /** False when no pattern is configured: the tripwire is off. */
  get enabled(): boolean {
    return this.pattern !== undefined;
  }

  /** Whether a field of this name is a credential. */
  matches(key: string): boolean {
    const known = this.known.get(key);
    if (known !== undefined) return known;
    const normalized = normalizeFieldName(key);
    const result = this.pattern !== undefined && this.pattern.test(normalized) && !this.allowed.has(normalized);
    if (this.known.size >= MAX_CACHED_NAMES) this.known.clear();
    this.known.set(key, result);
    return result;
  }
}
