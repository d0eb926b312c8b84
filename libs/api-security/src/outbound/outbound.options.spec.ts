import { ApiSecurityConfigError, resolveApiSecurityOptions } from '../api-security.options';
import { SystemDnsResolver, type DnsResolver } from './dns-resolver';
import { canonicalHost, DEFAULT_OUTBOUND_OPTIONS, resolveOutboundOptions } from './outbound.options';

describe('resolveOutboundOptions', () => {
  it('defaults to refusing every host, http(s) on 80/443, 3 redirects, 2 s / 5 s, 1 MiB, three text types', () => {
    const problems: string[] = [];
    const resolved = resolveOutboundOptions(undefined, problems);
    expect(problems).toEqual([]);
    expect(resolved).toMatchObject({
      allowedHosts: [],
      allowedSchemes: ['https', 'http'],
      allowedPorts: [80, 443],
      allowCidrs: [],
      maxRedirects: 3,
      connectTimeoutMs: 2000,
      timeoutMs: 5000,
      maxResponseBytes: 1_048_576,
      allowedContentTypes: ['text/html', 'text/plain', 'application/json'],
    });
    expect(resolved.resolver).toBeInstanceOf(SystemDnsResolver);
    expect(DEFAULT_OUTBOUND_OPTIONS.allowedHosts).toEqual([]);
  });

  it('canonicalises hosts, CIDRs, schemes and media types', () => {
    const problems: string[] = [];
    const resolver: DnsResolver = { resolve: async () => [] };
    const resolved = resolveOutboundOptions(
      {
        allowedHosts: ['API.Example.com.', '*.cdn.example.com', '127.1', '::1', '[::ffff:7f00:1]', 'api.example.com'],
        allowedSchemes: ['https'],
        allowCidrs: ['127.0.0.1', 'fd00::/8'],
        allowedContentTypes: ['Application/JSON'],
        resolver,
      },
      problems,
    );
    expect(problems).toEqual([]);
    expect(resolved.allowedHosts).toEqual([
      'api.example.com',
      '*.cdn.example.com',
      '127.0.0.1',
      '[::1]',
      '[::ffff:7f00:1]',
    ]);
    expect(resolved.allowCidrs).toEqual(['127.0.0.1/32', 'fd00::/8']);
    expect(resolved.allowedContentTypes).toEqual(['application/json']);
    expect(resolved.resolver).toBe(resolver);
  });

  it('lists every problem at once', () => {
    const problems: string[] = [];
    resolveOutboundOptions(
      {
        allowedHosts: ['https://api.example.com', '*', '*.com', 'api.example.com:443', 'a/b', ''],
        allowedSchemes: ['ftp' as 'http'],
        allowedPorts: [0, 70000, 1.5],
        allowCidrs: ['10.0.0.0/33', 'not-a-cidr', '127.1/32'],
        maxRedirects: 11,
        connectTimeoutMs: 0,
        timeoutMs: -1,
        maxResponseBytes: 0,
        allowedContentTypes: ['json'],
        resolver: {} as DnsResolver,
      },
      problems,
    );
    expect(problems).toHaveLength(19);
    for (const path of [
      'allowedHosts',
      'allowedSchemes',
      'allowedPorts',
      'allowCidrs',
      'maxRedirects',
      'connectTimeoutMs',
      'timeoutMs',
      'maxResponseBytes',
      'allowedContentTypes',
      'resolver',
    ]) {
      expect(problems.join('\n')).toContain(`outbound.${path}`);
    }
  });

  it('is validated at boot as the outbound section of the module options', () => {
    expect(() => resolveApiSecurityOptions({ outbound: { allowCidrs: ['nope'], timeoutMs: -5 } })).toThrow(
      ApiSecurityConfigError,
    );
    try {
      resolveApiSecurityOptions({ outbound: { allowCidrs: ['nope'], timeoutMs: -5 } });
    } catch (error) {
      expect((error as ApiSecurityConfigError).problems).toEqual([
        expect.stringContaining('outbound.allowCidrs'),
        expect.stringContaining('outbound.timeoutMs'),
      ]);
    }
    expect(resolveApiSecurityOptions({}).outbound.allowedHosts).toEqual([]);
  });
});

describe('canonicalHost', () => {
  it.each([
    ['Example.COM', 'example.com'],
    ['example.com.', 'example.com'],
    ['2130706433', '127.0.0.1'],
    ['0:0:0:0:0:0:0:1', '[::1]'],
    ['[::1]', '[::1]'],
    ['bücher.example', undefined],
    ['example.com:80', undefined],
    ['user@example.com', undefined],
    ['exa mple.com', undefined],
    ['-bad.example', undefined],
    ['fe80::1%eth0', undefined],
  ])('%s → %s', (input, expected) => {
    expect(canonicalHost(input)).toBe(expected);
  });
});
