/**
 * Store keys of login attempts. An account's keys share its `{la:<hash>}` hash tag and a client's
 * keys share its `{li:<hash>}` tag, so each group can be read in one round trip (`getMany`), on
 * Redis Cluster too. Accounts and IPs appear only as keyed HMAC-SHA-256 pseudonyms (AuditPseudonymizer): both are personal data.
 */

/** Consecutive failed logins of the account since its last success or lockout. */
export function accountFailuresKey(accountHash: string): string {
  return `{la:${accountHash}}:fails`;
}

/** Failed logins of the account from one client, since the account's last success (audit signal). */
export function accountClientFailuresKey(accountHash: string, clientHash: string): string {
  return `{la:${accountHash}}:client:${clientHash}`;
}

/** Present while the account is locked; the value is the end of the lockout in epoch ms. */
export function accountLockKey(accountHash: string): string {
  return `{la:${accountHash}}:lock`;
}

/** Failed logins of one client over all accounts, in a 24-hour window from its first failure. */
export function clientFailuresKey(clientHash: string): string {
  return `{li:${clientHash}}:fails`;
}

/** Written when the client reaches its daily cap; the value is the end of its window in epoch ms. */
export function clientBlockedUntilKey(clientHash: string): string {
  return `{li:${clientHash}}:until`;
}
