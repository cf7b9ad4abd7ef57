// Reads real RFC 5322 messages (outbox .eml files or what an SMTP sink received) well enough for
// tests: headers, the text and HTML parts of a multipart/alternative body, and the links in them.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { decodeEntities } from './browser.js';

export interface ParsedMail {
  headers: Map<string, string>;
  contentType: string;
  subject: string;
  from: string;
  to: string;
  /** Decoded parts by their media type, e.g. 'text/plain', 'text/html'. */
  parts: Map<string, string>;
  text: string;
  html: string;
  raw: string;
}

function splitHead(raw: string): { headers: Map<string, string>; body: string } {
  const end = raw.indexOf('\r\n\r\n');
  const head = end === -1 ? raw : raw.slice(0, end);
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { headers, body: end === -1 ? '' : raw.slice(end + 4) };
}

function decodeQuotedPrintable(text: string): string {
  const soft = text.replace(/=\r\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < soft.length; i += 1) {
    if (soft[i] === '=' && /^[0-9A-F]{2}$/i.test(soft.slice(i + 1, i + 3))) {
      bytes.push(parseInt(soft.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(soft[i]!, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function decodeBody(body: string, encoding: string | undefined): string {
  switch ((encoding ?? '7bit').toLowerCase()) {
    case 'quoted-printable': return decodeQuotedPrintable(body);
    case 'base64': return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
    default: return body;
  }
}

/** RFC 2047 encoded words, as nodemailer writes non-ASCII headers. */
function decodeHeader(value: string): string {
  return value.replace(/=\?utf-8\?([bq])\?([^?]*)\?=/gi, (_all, kind: string, text: string) =>
    kind.toLowerCase() === 'b' ? Buffer.from(text, 'base64').toString('utf8') : decodeQuotedPrintable(text.replace(/_/g, ' ')));
}

export function parseMail(raw: string): ParsedMail {
  const { headers, body } = splitHead(raw);
  const contentType = headers.get('content-type') ?? 'text/plain';
  const parts = new Map<string, string>();
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
  if (boundary) {
    for (const chunk of body.split(`--${boundary}`).slice(1)) {
      if (chunk.startsWith('--')) break;
      const part = splitHead(chunk.replace(/^\r\n/, ''));
      const type = (part.headers.get('content-type') ?? 'text/plain').split(';')[0]!.trim().toLowerCase();
      parts.set(type, decodeBody(part.body.replace(/\r\n$/, ''), part.headers.get('content-transfer-encoding')));
    }
  } else {
    parts.set(contentType.split(';')[0]!.trim().toLowerCase(), decodeBody(body, headers.get('content-transfer-encoding')));
  }
  return {
    headers,
    contentType,
    subject: decodeHeader(headers.get('subject') ?? ''),
    from: decodeHeader(headers.get('from') ?? ''),
    to: decodeHeader(headers.get('to') ?? ''),
    parts,
    text: parts.get('text/plain') ?? '',
    html: parts.get('text/html') ?? '',
    raw,
  };
}

/** The .eml files of an outbox, oldest first (their names sort by time). */
export function outboxFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((name) => name.endsWith('.eml')).sort().map((name) => path.join(dir, name));
}

/** The newest message to `address` in the outbox, parsed. */
export function latestMailTo(dir: string, address: string): ParsedMail | undefined {
  const mails = outboxFiles(dir).map((file) => parseMail(readFileSync(file, 'utf8')));
  return mails.reverse().find((mail) => mail.to.toLowerCase().includes(address.toLowerCase()));
}

export function linksIn(text: string): string[] {
  return [...new Set(text.match(/https?:\/\/[^\s<>"]+/g) ?? [])];
}

/** The href of every link in an HTML part, entities decoded. */
export function hrefsIn(html: string): string[] {
  return [...new Set([...html.matchAll(/href="([^"]*)"/g)].map((match) => decodeEntities(match[1]!)))];
}
