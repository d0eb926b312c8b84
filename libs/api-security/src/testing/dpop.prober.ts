import { DPOP_ATTACKS, type DpopAttack, type DpopAttackContext } from './dpop.attacks';
import { DpopKey } from './dpop.forge';
import { headerValue, httpMethod, send, type HttpTarget } from './http-target';
import type { JwtMembers } from './jwt.primitives';
import type { TokenForge } from './token.forge';

/** What `probeDpop` needs: a route that requires a principal, and how the app's tokens are minted. */
export interface DpopProbeOptions {
  /** Mints the access tokens (bound with `cnf.jkt`, and unbound) the app trusts. */
  forge: TokenForge;
  /** Route path as requested, e.g. `/api/v1/me`. */
  path: string;
  /** @default 'GET' */
  method?: string;
  /**
   * Scheme and host the server sees (`htu` is built from them; requests carry `Host` accordingly).
   * Behind a TLS-terminating proxy trusted by the app, send `X-Forwarded-Proto` in `headers`.
   * @default 'http://dpop-probe.test'
   */
  origin?: string;
  /** Claims of every token (e.g. `{ sub: realUserId }`), so that DPoP is the only thing wrong. */
  claims?: JwtMembers;
  /** Extra headers on every request. */
  headers?: Readonly<Record<string, string>>;
  /** JSON body for methods that take one. */
  body?: unknown;
  /** @default DPOP_ATTACKS */
  attacks?: readonly DpopAttack[];
}

/** One DPoP attack the route did not refuse as it should. */
export interface DpopFinding {
  readonly attack: string;
  readonly status: number;
  readonly message: string;
}

/** What `probeDpop` found. */
export interface DpopReport {
  /** Requests sent (the control included). */
  readonly sent: number;
  /** Status of the control: a valid bound token with a valid proof. Must be 2xx, or the probe proves nothing. */
  readonly controlStatus: number;
  /** Attacks not answered with 401 (or a replay whose first use was refused). Must be empty. */
  readonly findings: DpopFinding[];
}

/**
 * Sends a legitimate DPoP request (the control, which must succeed) and every DPoP attack to one
 * route, each with fresh tokens and proofs, and reports the attacks that were not refused with 401.
 * A replay attack is sent twice: the first use must succeed and the second be refused. When the
 * server asks for a nonce (`dpop.nonce`), the nonce of its first answer goes into every proof, so
 * each attack breaks exactly one thing.
 */
export async function probeDpop(target: HttpTarget, options: DpopProbeOptions): Promise<DpopReport> {
  const method = httpMethod(options.method ?? 'GET');
  if (!method) throw new Error(`probeDpop: unsupported method ${String(options.method)}.`);
  const origin = new URL(options.origin ?? 'http://dpop-probe.test');
  const url = new URL(options.path, origin).href.split('?')[0]!;
  const key = await DpopKey.generate();
  const base = {
    key,
    attacker: await DpopKey.generate(),
    method: method.toUpperCase(),
    url,
    boundToken: () => options.forge.dpopBoundToken(key, options.claims),
    unboundToken: () => options.forge.accessToken(options.claims),
  };
  let sent = 0;
  const request = (headers: Record<string, string>) => {
    sent++;
    return send(target, method, options.path, { ...options.headers, Host: origin.host, ...headers }, options.body);
  };
  const findings: DpopFinding[] = [];
  const controlRequest = async (nonce?: string) => {
    const token = await base.boundToken();
    return request({
      Authorization: `DPoP ${token}`,
      DPoP: await key.proof({ method: base.method, url, accessToken: token, nonce }),
    });
  };
  let control = await controlRequest();
  // A server that requires nonces answers the first proof with one (RFC 9449 §8), as a client learns it.
  const nonce = control.status === 401 ? headerValue(control, 'dpop-nonce') : undefined;
  if (nonce !== undefined) control = await controlRequest(nonce);
  const context: DpopAttackContext = { ...base, ...(nonce !== undefined ? { nonce } : {}) };
  for (const attack of options.attacks ?? DPOP_ATTACKS) {
    const headers = await attack.build(context);
    if (attack.replay) {
      const first = await request(headers);
      if (first.status < 200 || first.status > 299) {
        findings.push({ attack: attack.name, status: first.status, message: `first use answered ${first.status}` });
        continue;
      }
    }
    const res = await request(headers);
    if (res.status !== 401) {
      findings.push({ attack: attack.name, status: res.status, message: `answered ${res.status}, expected 401` });
    }
  }
  return { sent, controlStatus: control.status, findings };
}
