import { stampVetoes } from '../store/consume-if-clear';
import { revocationRecordsOf, revokedByRecords } from './revocation-records';

describe('revocation records', () => {
  const token = { id: 'u1', tokenId: 'j1', sessionId: 's1', issuedAt: 1000.7 };

  it("names the token's jti and session marks and the user's stamp, clear up to the issue millisecond", () => {
    expect(revocationRecordsOf(token)).toEqual({
      marks: ['{u:u1}:jti:j1', '{u:u1}:sid:s1'],
      stamp: { key: '{u:u1}:valid-after', atMostMs: 1_000_700 },
    });
  });

  it('turns the stamp into a mark when there is no usable issuedAt: any stamp revokes', () => {
    for (const issuedAt of [undefined, Number.NaN, Infinity]) {
      const records = revocationRecordsOf({ id: 'u1', issuedAt });
      expect(records).toEqual({ marks: ['{u:u1}:valid-after'] });
      expect(revokedByRecords({ id: 'u1', issuedAt }, null, ['1'])).toBe(true);
      expect(revokedByRecords({ id: 'u1', issuedAt }, null, [null])).toBe(false);
    }
  });

  it('revokes on any mark, a short answer, a later stamp or one that is not a number', () => {
    expect(revokedByRecords(token, null, [null, null])).toBe(false);
    expect(revokedByRecords(token, null, [null, ''])).toBe(true);
    expect(revokedByRecords(token, null, [null])).toBe(true);
    expect(revokedByRecords(token, '1000700', [null, null])).toBe(false);
    expect(revokedByRecords(token, '1000701', [null, null])).toBe(true);
    expect(revokedByRecords(token, 'x', [null, null])).toBe(true);
  });

  it("agrees with the store's veto on every stamp the library writes (whole milliseconds)", () => {
    const { stamp } = revocationRecordsOf(token);
    for (const written of [0, 999_999, 1_000_699, 1_000_700, 1_000_701, 2_000_000]) {
      const value = String(written);
      expect([value, stampVetoes(value, stamp?.atMostMs ?? 0)]).toEqual([
        value,
        revokedByRecords(token, value, [null, null]),
      ]);
    }
  });

  it("builds a frozen credential's records once, and a mutable credential's on every call", () => {
    const frozen = Object.freeze({ id: 'u2', tokenId: 'j2', issuedAt: 5 });
    const first = revocationRecordsOf(frozen);
    expect(revocationRecordsOf(frozen)).toBe(first);
    expect(Object.isFrozen(first) && Object.isFrozen(first.marks)).toBe(true);

    const mutable: { id: string; tokenId: string; issuedAt: number } = { id: 'u3', tokenId: 'j3', issuedAt: 5 };
    expect(revocationRecordsOf(mutable).marks).toEqual(['{u:u3}:jti:j3']);
    mutable.id = 'u4';
    expect(revocationRecordsOf(mutable).marks).toEqual(['{u:u4}:jti:j3']);
    // Frozen afterwards: remembered from then on, with the id it has now.
    Object.freeze(mutable);
    const later = revocationRecordsOf(mutable);
    expect(later.marks).toEqual(['{u:u4}:jti:j3']);
    expect(revocationRecordsOf(mutable)).toBe(later);
  });
});
