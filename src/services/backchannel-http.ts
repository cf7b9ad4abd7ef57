// The one outbound HTTP call of back-channel logout: POST logout_token to a client's
// backchannel_logout_uri (OpenID Back-Channel Logout 1.0 §2.5). The URI is the client's to choose,
// so by default the request refuses loopback, private, link-local and other non-public addresses
// (OWASP SSRF Prevention Cheat Sheet), checked on the address actually connected to: the guarded
// lookup is the connection's own, so a DNS answer cannot change between check and connect.
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions, type LookupOneOptions } from 'node:dns';
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP } from 'node:net';

export type PostLogoutToken = (uri: string, logoutToken: string) => Promise<void>;

const NON_PUBLIC = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) NON_PUBLIC.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  ['::', 128], ['::1', 128], ['64:ff9b::', 96], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8],
] as const) NON_PUBLIC.addSubnet(network, prefix, 'ipv6');

const IPV4_MAPPED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;
// The same in hex, as the URL parser writes it: [::ffff:127.0.0.1] becomes [::ffff:7f00:1].
const IPV4_MAPPED_HEX = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i;

function mappedIpv4(address: string): string | undefined {
  const dotted = IPV4_MAPPED.exec(address)?.[1];
  if (dotted) return dotted;
  const hex = IPV4_MAPPED_HEX.exec(address);
  if (!hex) return undefined;
  const [high, low] = [Number.parseInt(hex[1]!, 16), Number.parseInt(hex[2]!, 16)];
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

export function isNonPublicAddress(address: string): boolean {
  // An IPv4-mapped IPv6 address (::ffff:127.0.0.1) reaches the IPv4 host it names.
  const mapped = mappedIpv4(address);
  if (mapped) return isNonPublicAddress(mapped);
  const family = isIP(address);
  if (family === 0) return true;
  return NON_PUBLIC.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

class RefusedAddressError extends Error {
  override name = 'RefusedAddressError';
  readonly code = 'EREFUSEDADDRESS';
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

function guardedLookup(hostname: string, options: LookupOneOptions | LookupAllOptions, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, '');
    if (addresses.length === 0 || addresses.some((entry) => isNonPublicAddress(entry.address))) {
      return callback(new RefusedAddressError(`${hostname} resolves to a non-public address`), '');
    }
    if (options.all) return callback(null, addresses);
    return callback(null, addresses[0]!.address, addresses[0]!.family);
  });
}

export function createLogoutTokenPoster(options: { timeoutMs: number; allowPrivateAddresses: boolean }): PostLogoutToken {
  const { timeoutMs, allowPrivateAddresses } = options;
  return (uri, logoutToken) => new Promise<void>((resolve, reject) => {
    const url = new URL(uri);
    const literal = url.hostname.replace(/^\[|\]$/g, '');
    if (!allowPrivateAddresses && isIP(literal) !== 0 && isNonPublicAddress(literal)) {
      reject(new RefusedAddressError(`${literal} is a non-public address`));
      return;
    }
    const body = new URLSearchParams({ logout_token: logoutToken }).toString();
    const requestOptions: RequestOptions = {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body), accept: '*/*' },
      signal: AbortSignal.timeout(timeoutMs),
      ...(allowPrivateAddresses ? {} : { lookup: guardedLookup as RequestOptions['lookup'] }),
    };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const request = send(url, requestOptions, (response) => {
      response.resume();
      // §2.8: 200 OK (or 204) means the client logged the session out; redirects are not followed.
      if (response.statusCode === 200 || response.statusCode === 204) resolve();
      else reject(new Error(`expected 200 OK, got ${response.statusCode ?? 'no status'}`));
    });
    request.on('error', (error: Error) => reject(error.name === 'AbortError' ? new Error(`no answer within ${timeoutMs} ms`) : error));
    request.end(body);
  });
}
