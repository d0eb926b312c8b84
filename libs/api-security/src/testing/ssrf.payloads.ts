/** One URL an outbound-request feature must refuse. */
export interface SsrfPayload {
  /** What it tries, e.g. `loopback in octal`. */
  readonly name: string;
  readonly url: string;
}

/** Options of `ssrfPayloads`: where the canary listens. */
export interface SsrfPayloadOptions {
  /**
   * Port put on every loopback URL, so that a fetch that gets through reaches a {@link LoopbackCanary}.
   * @default 80
   */
  port?: number;
  /**
   * A host the feature does accept (e.g. from `PREVIEW_ALLOWED_HOSTS`), for parser-confusion payloads
   * such as `http://allowed.example@127.0.0.1/`.
   * @default 'allowed.example'
   */
  allowedHost?: string;
}

/**
 * Every loopback, private, link-local and cloud-metadata address in every notation a URL parser
 * or resolver may accept, plus credentials in the URL, parser confusion and non-HTTP schemes.
 * All of them must be refused.
 */
export function ssrfPayloads(options: SsrfPayloadOptions = {}): SsrfPayload[] {
  const port = options.port ?? 80;
  const allowed = options.allowedHost ?? 'allowed.example';
  const p = `:${port}`;
  const loopback: [string, string][] = [
    ['loopback', `127.0.0.1${p}`],
    ['loopback, other address in 127/8', `127.1.2.3${p}`],
    ['loopback in decimal', `2130706433${p}`],
    ['loopback in octal', `0177.0.0.1${p}`],
    ['loopback in long octal', `017700000001${p}`],
    ['loopback in hex', `0x7f000001${p}`],
    ['loopback in dotted hex', `0x7f.0x0.0x0.0x1${p}`],
    ['loopback, mixed notation', `0x7f.0.1${p}`],
    ['loopback, short form', `127.1${p}`],
    ['loopback, zero-padded', `127.000.000.001${p}`],
    ['unspecified 0.0.0.0', `0.0.0.0${p}`],
    ['unspecified 0', `0${p}`],
    ['IPv6 loopback', `[::1]${p}`],
    ['IPv6 loopback, long form', `[0:0:0:0:0:0:0:1]${p}`],
    ['IPv6 unspecified', `[::]${p}`],
    ['IPv4-mapped IPv6 loopback', `[::ffff:127.0.0.1]${p}`],
    ['IPv4-mapped IPv6 loopback in hex', `[::ffff:7f00:1]${p}`],
    ['IPv4-compatible IPv6 loopback', `[::127.0.0.1]${p}`],
    ['NAT64 loopback', `[64:ff9b::7f00:1]${p}`],
    ['NAT64 local-use loopback', `[64:ff9b:1::7f00:1]${p}`],
    ['6to4 loopback', `[2002:7f00:1::]${p}`],
    ['Teredo loopback', `[2001:0:4136:e378:8000:63bf:80ff:fffe]${p}`],
    ['localhost', `localhost${p}`],
    ['localhost, upper case', `LOCALHOST${p}`],
    ['localhost with trailing dot', `localhost.${p}`],
    ['subdomain of localhost', `app.localhost${p}`],
    ['credentials in URL', `user:pass@127.0.0.1${p}`],
    ['allowed host as userinfo', `${allowed}@127.0.0.1${p}`],
    ['allowed host as userinfo with port', `${allowed}:443@127.0.0.1${p}`],
    ['loopback, URL-encoded', `%31%32%37%2e%30%2e%30%2e%31${p}`],
    ['loopback, full-width digits', `１２７.０.０.１${p}`],
  ];
  const other: [string, string][] = [
    ['private 10/8', '10.0.0.1'],
    ['private 172.16/12', '172.16.0.1'],
    ['private 172.31', '172.31.255.254'],
    ['private 192.168/16', '192.168.0.1'],
    ['private 10/8 in decimal', '167772161'],
    ['private 192.168/16 in hex', '0xc0a80001'],
    ['carrier-grade NAT 100.64/10', '100.64.0.1'],
    ['benchmarking 198.18/15', '198.18.0.1'],
    ['this network 0/8', '0.1.2.3'],
    ['broadcast', '255.255.255.255'],
    ['multicast', '224.0.0.1'],
    ['link-local 169.254/16', '169.254.1.1'],
    ['cloud metadata (AWS, GCP, Azure…)', '169.254.169.254/latest/meta-data/'],
    ['cloud metadata in decimal', '2852039166/latest/meta-data/'],
    ['cloud metadata in hex', '0xa9fea9fe/latest/meta-data/'],
    ['cloud metadata in octal', '0251.0376.0251.0376/latest/meta-data/'],
    ['cloud metadata, IPv4-mapped IPv6', '[::ffff:169.254.169.254]/latest/meta-data/'],
    ['cloud metadata, NAT64', '[64:ff9b::a9fe:a9fe]/latest/meta-data/'],
    ['AWS metadata over IPv6', '[fd00:ec2::254]/latest/meta-data/'],
    ['ECS task metadata', '169.254.170.2/v2/metadata'],
    ['Alibaba Cloud metadata', '100.100.100.200/latest/meta-data/'],
    ['GCP metadata host name', 'metadata.google.internal/computeMetadata/v1/'],
    ['metadata host name, short', 'metadata/computeMetadata/v1/'],
    ['IPv6 link-local', '[fe80::1]'],
    ['IPv6 link-local with zone', '[fe80::1%25eth0]'],
    ['IPv6 unique local fc00::/7', '[fc00::1]'],
    ['IPv6 unique local fd00::/8', '[fd12:3456:789a::1]'],
    ['IPv6 site-local (deprecated)', '[fec0::1]'],
    ['IPv6 multicast', '[ff02::1]'],
    ['private 10/8, IPv4-mapped IPv6', '[::ffff:10.0.0.1]'],
    ['private 192.168/16, 6to4', '[2002:c0a8:1::]'],
    ['private 10/8, NAT64', '[64:ff9b::a00:1]'],
  ];
  const schemes: [string, string][] = [
    ['file: scheme', 'file:///etc/passwd'],
    ['file: scheme with host', 'file://localhost/etc/passwd'],
    ['gopher: scheme', `gopher://127.0.0.1${p}/_GET%20/%20HTTP/1.0`],
    ['ftp: scheme', `ftp://127.0.0.1${p}/`],
    ['dict: scheme', `dict://127.0.0.1${p}/info`],
    ['ldap: scheme', `ldap://127.0.0.1${p}/`],
    ['sftp: scheme', `sftp://127.0.0.1${p}/`],
    ['tftp: scheme', `tftp://127.0.0.1${p}/x`],
    ['jar: scheme', `jar:http://127.0.0.1${p}/x.jar!/`],
    ['netdoc: scheme', 'netdoc:///etc/passwd'],
    ['data: scheme', 'data:text/plain;base64,aGVsbG8='],
    ['javascript: scheme', 'javascript:alert(1)'],
    ['ws: scheme', `ws://127.0.0.1${p}/`],
    ['scheme-relative URL', `//127.0.0.1${p}/`],
    ['backslash confusion', `http://${allowed}\\@127.0.0.1${p}/`],
    ['fragment confusion', `http://127.0.0.1${p}#@${allowed}/`],
    ['upper-case scheme', `HTTP://127.0.0.1${p}/`],
  ];
  return [
    ...loopback.flatMap(([name, host]): SsrfPayload[] => [
      { name: `${name} (http)`, url: `http://${host}/` },
      { name: `${name} (https)`, url: `https://${host}/` },
    ]),
    ...other.map(([name, host]): SsrfPayload => ({ name, url: `http://${host.includes('/') ? host : `${host}/`}` })),
    ...schemes.map(([name, url]): SsrfPayload => ({ name, url })),
  ];
}
