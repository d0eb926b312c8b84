import { bodyFactsOf, recordBodyFacts } from './body-facts';

describe('body facts', () => {
  it('are read back only for the body they were recorded for', () => {
    const request = {};
    const body = { a: 1 };
    expect(bodyFactsOf(request, body)).toBeUndefined();
    recordBodyFacts(request, { body, prototypeKeys: false });
    expect(bodyFactsOf(request, body)).toEqual({ body, prototypeKeys: false });
    // An equal but different object (a replaced body) gets none: its reader walks it again.
    expect(bodyFactsOf(request, { a: 1 })).toBeUndefined();
    expect(bodyFactsOf({}, body)).toBeUndefined();
  });

  it('leave no trace in what the request serialises or enumerates', () => {
    const request = { method: 'POST' };
    recordBodyFacts(request, { body: {}, prototypeKeys: true });
    expect(Object.keys(request)).toEqual(['method']);
    expect(JSON.stringify(request)).toBe('{"method":"POST"}');
  });
});
