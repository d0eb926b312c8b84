import {
  callsCredentialGate,
  clearCredentialGate,
  passCredentialGate,
  runsCredentialGate,
  setCredentialGate,
} from './credential-gate';

describe('credential gate', () => {
  it('passes at once when the request has no gate', async () => {
    await expect(passCredentialGate({})).resolves.toBeUndefined();
  });

  it('runs the gate at most once per request, however many authenticators reach it', async () => {
    const request = {};
    const gate = jest.fn(async () => undefined);
    setCredentialGate(request, { open: gate });
    await Promise.all([passCredentialGate(request), passCredentialGate(request)]);
    await passCredentialGate(request);
    expect(gate).toHaveBeenCalledTimes(1);
  });

  it('keeps refusing with the same error once the gate refused', async () => {
    const request = {};
    const refusal = new Error('429');
    const gate = jest.fn(() => Promise.reject(refusal));
    setCredentialGate(request, { open: gate });
    await expect(passCredentialGate(request)).rejects.toBe(refusal);
    await expect(passCredentialGate(request)).rejects.toBe(refusal);
    expect(gate).toHaveBeenCalledTimes(1);
  });

  it('passes at once again once the gate is cleared', async () => {
    const request = {};
    const gate = jest.fn(() => Promise.reject(new Error('429')));
    setCredentialGate(request, { open: gate });
    clearCredentialGate(request);
    await expect(passCredentialGate(request)).resolves.toBeUndefined();
    expect(gate).not.toHaveBeenCalled();
  });

  it('knows which authenticators run the gate themselves', () => {
    const builtIn = {};
    callsCredentialGate(builtIn);
    expect(runsCredentialGate(builtIn)).toBe(true);
    expect(runsCredentialGate({})).toBe(false);
  });
});
