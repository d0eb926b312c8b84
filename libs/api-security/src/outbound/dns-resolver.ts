import { lookup } from 'node:dns/promises';

/** One address a host name resolves to. */
export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/**
 * Turns a host name into addresses for `SafeHttpClient`. It is called once per new connection,
 * inside that connection's DNS lookup, and the socket connects only to the addresses it returned
 * after every one of them passed the address policy. Replace it to use another resolver (or, in
 * tests, to answer without any real DNS).
 */
export interface DnsResolver {
  resolve(hostname: string): Promise<readonly ResolvedAddress[]>;
}

/** The operating system's resolver (`getaddrinfo`, as `net.connect` uses): hosts file, then DNS. */
export class SystemDnsResolver implements DnsResolver {
  async resolve(hostname: string): Promise<readonly ResolvedAddress[]> {
    const answers = await lookup(hostname, { all: true, order: 'verbatim' });
    return answers.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));
  }
}
