import { Controller, Post } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { parseFlowLimit } from './flow-limit';
import { declaredFlow, SensitiveFlow } from './sensitive-flow.decorator';
import { compileFlowPolicy, mergeFlowPolicies, type SensitiveFlowPolicy } from './sensitive-flow.policy';

describe('sensitive flow policies', () => {
  it('parses N/Ss limits and refuses anything else', () => {
    expect(parseFlowLimit('5/3600s')).toEqual({ limit: 5, windowSeconds: 3600, text: '5/3600s' });
    expect(parseFlowLimit('5/1h')).toEqual({ limit: 5, windowSeconds: 3600, text: '5/3600s' });
    for (const bad of ['5/hour', '5/3600', '0/60s', '5/0s', '-1/60s', '5 / 60s', '1.5/60s', '5/99999999s', 5, null]) {
      expect(typeof parseFlowLimit(bad)).toBe('string');
    }
  });

  it('fills in the defaults', () => {
    expect(compileFlowPolicy('checkout', { perPrincipal: '5/3600s', challenge: { difficulty: 4 } }, 'C.m')).toEqual({
      name: 'checkout',
      count: 'attempts',
      perPrincipal: [{ limit: 5, windowSeconds: 3600, text: '5/3600s' }],
      perIp: [],
      cooldownSeconds: 0,
      challenge: { difficulty: 4, ttlSeconds: 300, challengeField: 'challenge', nonceField: 'nonce' },
    });
  });

  it('lists every problem, naming the route', () => {
    const bad = {
      perPrincipal: ['5/hour', '3/60s'],
      perIp: '1/0s',
      count: 'sometimes',
      cooldownSeconds: -1,
      challenge: { difficulty: 9, ttlSeconds: 5, nonceField: 'a b', extra: 1 },
      typo: true,
    } as unknown as SensitiveFlowPolicy;
    const thrown = (() => {
      try {
        compileFlowPolicy('checkout', bad, 'CheckoutController.checkout');
      } catch (error) {
        return (error as Error).message;
      }
      return '';
    })();
    expect(thrown).toContain(`@SensitiveFlow("checkout") on CheckoutController.checkout is invalid`);
    for (const part of [
      'unknown option(s): typo',
      'perPrincipal: limits look like',
      '"5/hour"',
      'perIp: limits look like',
      'count must be one of attempts, successes, failures',
      'cooldownSeconds must be a whole number from 0 to 86400',
      'challenge has unknown option(s): extra',
      'challenge.difficulty must be a whole number from 0 to 8',
      'challenge.ttlSeconds must be a whole number from 10 to 3600',
      'challenge.nonceField must be a body field name',
    ]) {
      expect(thrown).toContain(part);
    }
  });

  it('refuses a bad name and a policy that protects nothing', () => {
    expect(() => compileFlowPolicy('', { perIp: '1/1s' }, 'C.m')).toThrow(/flow name/);
    expect(() => compileFlowPolicy('a b', { perIp: '1/1s' }, 'C.m')).toThrow(/flow name/);
    expect(() => compileFlowPolicy('x', {}, 'C.m')).toThrow(/protects nothing/);
    expect(() => compileFlowPolicy('x', { challenge: false }, 'C.m')).toThrow(/protects nothing/);
    expect(() => compileFlowPolicy('x', {}, 'C.m', false)).not.toThrow();
  });

  it('validates when the decorator is applied, naming Controller.method', () => {
    expect(() => {
      @Controller()
      class CheckoutController {
        @Post()
        @SensitiveFlow('checkout', { perPrincipal: '5/hour' })
        checkout(): void {}
      }
      return CheckoutController;
    }).toThrow(/@SensitiveFlow\("checkout"\) on CheckoutController\.checkout is invalid/);
  });

  it('records the declared policy on the handler', () => {
    class Flows {
      @SensitiveFlow('redeem', { perPrincipal: '1/60s', count: 'successes' })
      redeem(): void {}
      plain(): void {}
    }
    const reflector = new Reflector();
    expect(declaredFlow(reflector, Flows.prototype.redeem)).toEqual({
      name: 'redeem',
      policy: { perPrincipal: '1/60s', count: 'successes' },
    });
    expect(declaredFlow(reflector, Flows.prototype.plain)).toBeUndefined();
  });

  it('lays a registered policy over the declared one, challenge options one level deep', () => {
    expect(
      mergeFlowPolicies(
        { perPrincipal: '5/3600s', count: 'successes', challenge: { difficulty: 4, ttlSeconds: 60 } },
        { perPrincipal: '2/3600s', challenge: { difficulty: 2 } },
      ),
    ).toEqual({ perPrincipal: '2/3600s', count: 'successes', challenge: { difficulty: 2, ttlSeconds: 60 } });
    expect(mergeFlowPolicies({ challenge: { difficulty: 4 } }, { challenge: false })).toEqual({ challenge: false });
    expect(mergeFlowPolicies({ perIp: '1/1s' }, {})).toEqual({ perIp: '1/1s' });
  });
});
