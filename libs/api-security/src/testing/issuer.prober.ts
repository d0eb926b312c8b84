import { httpMethod, send, type HttpTarget } from './http-target';
import { ISSUER_ATTACKS, type IssuerAttack, type IssuerAttackContext } from './issuer.attacks';
import { IssuerForge, type ServedIssuer } from './issuer.forge';
import type { JwtMembers } from './jwt.primitives';

/** What `probeIssuers` needs: a route that requires a principal, and the issuers around it. */
export interface IssuerProbeOptions {
  /** An issuer the app trusts (for this route's audience), with the key the test gave it. */
  trusted: IssuerForge;
  /** Another issuer the app trusts, for the mix-up attacks (skipped without it). */
  other?: IssuerForge;
  /** An issuer the app does not trust. @default a fresh one, with its own key, served on 127.0.0.1 */
  rogue?: IssuerForge;
  /** The rogue's JWKS URL for `jku` / `x5u`. @default where the default rogue is served, else `http://127.0.0.1:9/jwks` */
  rogueJwksUri?: string;
  /** Route path as requested, e.g. `/api/v1/orders`. */
  path: string;
  /** @default 'GET' */
  method?: string;
  /** Claims of every token (e.g. `{ sub: realUserId, scope: 'orders:read' }`), so that the issuer is the only thing wrong. */
  claims?: JwtMembers;
  /** Extra headers on every request. */
  headers?: Readonly<Record<string, string>>;
  /** JSON body for methods that take one. */
  body?: unknown;
  /** @default ISSUER_ATTACKS */
  attacks?: readonly IssuerAttack[];
}

/** One issuer attack the route did not refuse with 401. */
export interface IssuerFinding {
  /** The attack's name (see {@link ISSUER_ATTACKS}). */
  readonly attack: string;
  /** The status the route answered. */
  readonly status: number;
  /** What was wrong, e.g. `answered 200, expected 401`. */
  readonly message: string;
}

/** What `probeIssuers` found. */
export interface IssuerReport {
  /** Requests sent (the control included). */
  readonly sent: number;
  /** Status of the control: a valid token of the trusted issuer. Must be 2xx, or the probe proves nothing. */
  readonly controlStatus: number;
  /** Attacks skipped (the mix-ups, without `other`). */
  readonly skipped: readonly string[];
  /** Attacks not answered with 401. Must be empty. */
  readonly findings: IssuerFinding[];
  /**
   * Fetches of the default rogue's key set and metadata during the probe (undefined with a rogue of
   * your own): anything above zero means the app fetched keys a token pointed it at.
   */
  readonly rogueFetches?: { jwks: number; metadata: number };
}

/**
 * Sends a valid token of the trusted issuer (the control, which must succeed) and every issuer
 * attack to one route, and reports the attacks that were not refused with 401. Without a rogue of
 * your own, one is created and served on 127.0.0.1 for the probe's duration, so `jku` / `x5u` point
 * at a real key set that verifies the token: an app that follows them accepts it.
 */
export async function probeIssuers(target: HttpTarget, options: IssuerProbeOptions): Promise<IssuerReport> {
  const method = httpMethod(options.method ?? 'GET');
  if (!method) throw new Error(`probeIssuers: unsupported method ${String(options.method)}.`);
  const { trusted } = options;
  let rogue = options.rogue;
  let served: ServedIssuer | undefined;
  if (rogue === undefined) {
    ({ forge: rogue, served } = await IssuerForge.rogue(trusted.audience));
  }
  try {
    let sent = 0;
    const request = (token: string) => {
      sent++;
      return send(target, method, options.path, { ...options.headers, Authorization: `Bearer ${token}` }, options.body);
    };
    const claims = options.claims ?? {};
    const control = await request(await trusted.accessToken(claims));
    const context: IssuerAttackContext = {
      trusted,
      rogue,
      rogueJwksUri: options.rogueJwksUri ?? served?.jwksUri ?? 'http://127.0.0.1:9/jwks',
      claims,
      ...(options.other !== undefined ? { other: options.other } : {}),
    };
    const findings: IssuerFinding[] = [];
    const skipped: string[] = [];
    for (const attack of options.attacks ?? ISSUER_ATTACKS) {
      if (attack.needsOther && options.other === undefined) {
        skipped.push(attack.name);
        continue;
      }
      const res = await request(await attack.build(context));
      if (res.status !== 401) {
        findings.push({ attack: attack.name, status: res.status, message: `answered ${res.status}, expected 401` });
      }
    }
    return {
      sent,
      controlStatus: control.status,
      skipped,
      findings,
      ...(served !== undefined ? { rogueFetches: served.fetches() } : {}),
    };
  } finally {
    await served?.close();
  }
}
