import type { ExecutionContext } from '@nestjs/common';
import { callsCredentialGate, setCredentialGate } from '../common/credential-gate';
import { PRINCIPAL_KEY, type SecurityPrincipal, type SecurityRequest } from '../common/security-principal';
import { UnauthenticatedException } from '../errors/security.exception';
import type { RoutePlan } from '../plan/route-plan';
import type { SecurityStepContext } from '../plan/security-step';
import { AuthenticationStep } from './authentication.step';
import type { Authenticator } from './authenticator';
import type { PrincipalCheckService } from './principal-check.service';

const principals = { assertActiveIfChecked: () => undefined } as unknown as PrincipalCheckService;
const alice: SecurityPrincipal = Object.freeze({ id: 'alice', roles: ['user'], scopes: [], authMethod: 'jwt' });

function contextFor(request: SecurityRequest): SecurityStepContext {
  return { request, plan: {} as RoutePlan, execution: {} as ExecutionContext };
}

function newRequest(): SecurityRequest {
  return { headers: {}, method: 'GET', url: '/orders/1' };
}

/** An authenticator answering `answer`, recording what happened in `log`. */
function authenticator(answer: SecurityPrincipal | null, log: string[], runsGate: boolean): Authenticator {
  const instance: Authenticator = {
    name: 'test',
    authenticate: async () => {
      log.push('authenticate');
      return answer;
    },
  };
  if (runsGate) callsCredentialGate(instance);
  return instance;
}

/** A request whose credential gate (the rate limit's pre-check) records when it is passed. */
function gatedRequest(log: string[]): SecurityRequest {
  const request = newRequest();
  setCredentialGate(request, {
    open: async () => {
      log.push('gate');
    },
  });
  return request;
}

describe('AuthenticationStep', () => {
  it('sets the principal its one authenticator answers, and refuses without one (401)', async () => {
    const log: string[] = [];
    const request = newRequest();
    await new AuthenticationStep([authenticator(alice, log, true)], principals).run(contextFor(request));
    expect(request[PRINCIPAL_KEY]).toBe(alice);
    expect(request.user).toBe(alice);

    const anonymous = newRequest();
    await expect(
      new AuthenticationStep([authenticator(null, log, true)], principals).run(contextFor(anonymous)),
    ).rejects.toBeInstanceOf(UnauthenticatedException);
    expect(anonymous[PRINCIPAL_KEY]).toBeUndefined();
  });

  it('passes the credential gate before an authenticator that does not run it itself', async () => {
    const log: string[] = [];
    await new AuthenticationStep([authenticator(alice, log, false)], principals).run(contextFor(gatedRequest(log)));
    expect(log).toEqual(['gate', 'authenticate']);

    const own: string[] = [];
    await new AuthenticationStep([authenticator(alice, own, true)], principals).run(contextFor(gatedRequest(own)));
    expect(own).toEqual(['authenticate']);
  });

  it('asks an override of authenticate, even with a single authenticator', async () => {
    const log: string[] = [];
    class Refusing extends AuthenticationStep {
      protected override async authenticate(): Promise<SecurityPrincipal | null> {
        log.push('override');
        return null;
      }
    }
    const request = newRequest();
    await expect(
      new Refusing([authenticator(alice, log, true)], principals).run(contextFor(request)),
    ).rejects.toBeInstanceOf(UnauthenticatedException);
    expect(log).toEqual(['override']);
    expect(request[PRINCIPAL_KEY]).toBeUndefined();
  });

  it('tries several authenticators in order until one answers', async () => {
    const log: string[] = [];
    const request = newRequest();
    await new AuthenticationStep([authenticator(null, log, true), authenticator(alice, log, true)], principals).run(
      contextFor(request),
    );
    expect(log).toEqual(['authenticate', 'authenticate']);
    expect(request[PRINCIPAL_KEY]).toBe(alice);
  });
});
