import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { bodyFactsOf } from './body-facts';
import { passCredentialGate, setCredentialGate } from './credential-gate';
import { deferRevocation, offerRevocationDeferral, takeDeferredRevocation } from './deferred-revocation';
import { reserveRequestSlots } from './request-slots';

describe('reserveRequestSlots', () => {
  it('adds every slot the chain writes as an own property, empty', () => {
    const request = new IncomingMessage(new Socket());
    const symbolsBefore = Object.getOwnPropertySymbols(request).length;
    reserveRequestSlots(request);
    expect(Object.hasOwn(request, 'principal')).toBe(true);
    expect(Object.hasOwn(request, 'user')).toBe(true);
    expect((request as { principal?: unknown }).principal).toBeUndefined();
    expect((request as { user?: unknown }).user).toBeUndefined();
    // The gate, the revocation offer and its check, the body facts.
    expect(Object.getOwnPropertySymbols(request).length - symbolsBefore).toBe(4);
  });

  it('adds the same six empty slots to every request', () => {
    for (let i = 0; i < 3; i++) {
      const request = new IncomingMessage(new Socket()) as IncomingMessage & Record<PropertyKey, unknown>;
      const before = new Set(Reflect.ownKeys(request));
      reserveRequestSlots(request);
      const added = Reflect.ownKeys(request).filter((key) => !before.has(key));
      expect(added).toHaveLength(6);
      for (const key of added) expect(request[key]).toBeUndefined();
    }
  });

  it('keeps a principal or user already on the request', () => {
    const request = { principal: 'p', user: 'u' };
    reserveRequestSlots(request);
    expect(request).toMatchObject({ principal: 'p', user: 'u' });
  });

  it('leaves the chain reading an empty request: an open gate, no offer taken, no body facts', async () => {
    const request = {};
    reserveRequestSlots(request);
    await expect(passCredentialGate(request)).resolves.toBeUndefined();
    expect(deferRevocation(request, () => ({ refuse: () => Promise.resolve() }) as never)).toBe(false);
    expect(bodyFactsOf(request, {})).toBeUndefined();
  });

  it('lets the chain use the slots afterwards as before', async () => {
    const request = {};
    reserveRequestSlots(request);
    const refused = new Error('429');
    setCredentialGate(request, { open: () => Promise.reject(refused) });
    await expect(passCredentialGate(request)).rejects.toBe(refused);
    offerRevocationDeferral(request);
    const check = { refuse: () => Promise.resolve() };
    expect(deferRevocation(request, () => check as never)).toBe(true);
    expect(takeDeferredRevocation(request)).toBe(check);
  });
});
