// A tiny browser for tests: a cookie jar over fetch, redirects followed by hand (so every hop is
// visible and cookies are kept), and just enough HTML parsing to find and submit forms.

export interface Page {
  url: string;
  status: number;
  headers: Headers;
  body: string;
  /** The Location header, resolved against the page URL. */
  location?: string;
}

export interface Form {
  id?: string;
  action: string;
  method: string;
  /** Named inputs with their values (hidden and visible alike). */
  fields: Record<string, string>;
  buttons: { name?: string; value?: string; text: string; form?: string }[];
}

interface StoredCookie {
  name: string;
  value: string;
  path: string;
  expiresAt?: number;
}

export interface RequestOptions {
  method?: 'GET' | 'POST';
  form?: Record<string, string> | URLSearchParams;
  headers?: Record<string, string>;
  /** Follow redirects while they stay on these origins (default: the request's own origin). */
  followOrigins?: string[];
  /** Set to false to see the first response, redirect or not. */
  followRedirects?: boolean;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", '#39': "'", '#34': '"' };

export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (match, entity: string) => {
    if (entity in ENTITIES) return ENTITIES[entity]!;
    if (/^#x/i.test(entity)) return String.fromCodePoint(Number.parseInt(entity.slice(2), 16));
    if (entity.startsWith('#')) return String.fromCodePoint(Number.parseInt(entity.slice(1), 10));
    return match;
  });
}

/** A page's visible text: tags dropped, whitespace collapsed, entities decoded. */
export function textOf(page: Page): string {
  return decodeEntities(page.body.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' '));
}

function attributes(tag: string): Record<string, string> {
  const result: Record<string, string> = {};
  const pattern = /([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;
  const inner = tag.replace(/^<\s*[a-zA-Z]+/, '').replace(/\/?>$/, '');
  for (const match of inner.matchAll(pattern)) {
    result[match[1]!.toLowerCase()] = decodeEntities(match[2] ?? match[3] ?? match[4] ?? '');
  }
  return result;
}

/** Every <form> of a page, plus the buttons elsewhere that name it with form="id". */
/** The password form of an interaction (the sign-in page, not an account page). */
export function isPasswordPage(page: Page): boolean {
  return page.status === 200 && page.body.includes('name="password"') && /\/interaction\/[^/]+$/.test(new URL(page.url).pathname);
}

/** The setup key an enrolment page shows beside its QR code, without the spaces that group it. */
export function setupKeyOf(page: Page): string {
  const match = /<code class="secret" id="setup-key">([\s\S]*?)<\/code>/.exec(page.body);
  if (!match) throw new Error(`no setup key on ${page.url}:\n${page.body}`);
  // Each group of four is its own span, so the key never wraps inside a group.
  return match[1]!.replace(/<[^>]*>/g, '').replace(/ /g, '');
}

export function parseForms(page: Page): Form[] {
  const forms: Form[] = [];
  for (const match of page.body.matchAll(/<form\b[^>]*>([\s\S]*?)<\/form>/gi)) {
    const attrs = attributes(match[0].slice(0, match[0].indexOf('>') + 1));
    const inner = match[1]!;
    const fields: Record<string, string> = {};
    for (const input of inner.matchAll(/<input\b[^>]*>/gi)) {
      const inputAttrs = attributes(input[0]);
      if (!inputAttrs.name) continue;
      const type = (inputAttrs.type ?? 'text').toLowerCase();
      if ((type === 'checkbox' || type === 'radio') && !('checked' in inputAttrs)) continue;
      fields[inputAttrs.name] = inputAttrs.value ?? '';
    }
    const buttons = [...inner.matchAll(/<button\b([^>]*)>([\s\S]*?)<\/button>/gi)].map((button) => {
      const buttonAttrs = attributes(`<button ${button[1]}>`);
      return { name: buttonAttrs.name, value: buttonAttrs.value, text: button[2]!.replace(/<[^>]+>/g, '').trim() };
    });
    forms.push({
      id: attrs.id,
      action: new URL(attrs.action ?? page.url, page.url).href,
      method: (attrs.method ?? 'get').toUpperCase(),
      fields,
      buttons,
    });
  }
  for (const button of page.body.matchAll(/<button\b([^>]*)>([\s\S]*?)<\/button>/gi)) {
    const buttonAttrs = attributes(`<button ${button[1]}>`);
    const owner = buttonAttrs.form ? forms.find((form) => form.id === buttonAttrs.form) : undefined;
    if (!owner) continue;
    owner.buttons.push({
      name: buttonAttrs.name,
      value: buttonAttrs.value,
      text: button[2]!.replace(/<[^>]+>/g, '').trim(),
      form: buttonAttrs.form,
    });
  }
  return forms;
}

function pathMatches(cookiePath: string, requestPath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath.charAt(cookiePath.length) === '/';
}

function defaultPath(url: URL): string {
  const index = url.pathname.lastIndexOf('/');
  return index <= 0 ? '/' : url.pathname.slice(0, index);
}

export class Browser {
  readonly history: Page[] = [];
  #cookies = new Map<string, StoredCookie>();

  /** Cookie values visible to a URL, by name. */
  cookiesFor(url: string): Record<string, string> {
    const { pathname } = new URL(url);
    const now = Date.now();
    const visible: Record<string, string> = {};
    const sorted = [...this.#cookies.values()].sort((a, b) => b.path.length - a.path.length);
    for (const cookie of sorted) {
      if (cookie.expiresAt !== undefined && cookie.expiresAt <= now) continue;
      if (pathMatches(cookie.path, pathname) && !(cookie.name in visible)) visible[cookie.name] = cookie.value;
    }
    return visible;
  }

  clearCookies(): void {
    this.#cookies.clear();
  }

  #store(url: URL, setCookie: string): void {
    const [pair, ...attrs] = setCookie.split(';');
    const eq = pair!.indexOf('=');
    if (eq <= 0) return;
    const cookie: StoredCookie = { name: pair!.slice(0, eq).trim(), value: pair!.slice(eq + 1).trim(), path: defaultPath(url) };
    for (const attr of attrs) {
      const [key, ...rest] = attr.trim().split('=');
      const value = rest.join('=');
      switch (key!.toLowerCase()) {
        case 'path': if (value.startsWith('/')) cookie.path = value; break;
        case 'max-age': cookie.expiresAt = Date.now() + Number(value) * 1000; break;
        case 'expires': cookie.expiresAt ??= Date.parse(value); break;
        default: break;
      }
    }
    const key = `${cookie.name};${cookie.path}`;
    if (cookie.expiresAt !== undefined && cookie.expiresAt <= Date.now()) this.#cookies.delete(key);
    else this.#cookies.set(key, cookie);
  }

  async #fetchOnce(url: string, method: string, body: URLSearchParams | undefined, headers: Record<string, string>): Promise<Page> {
    const target = new URL(url);
    const cookieHeader = Object.entries(this.cookiesFor(url)).map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(target, {
      method,
      redirect: 'manual',
      headers: {
        accept: 'text/html,application/xhtml+xml',
        ...(cookieHeader ? { cookie: cookieHeader } : {}),
        ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        ...headers,
      },
      body: body?.toString(),
    });
    for (const setCookie of response.headers.getSetCookie()) this.#store(target, setCookie);
    const location = response.headers.get('location');
    const page: Page = {
      url,
      status: response.status,
      headers: response.headers,
      body: await response.text(),
      location: location ? new URL(location, url).href : undefined,
    };
    this.history.push(page);
    return page;
  }

  async request(url: string, options: RequestOptions = {}): Promise<Page> {
    const followOrigins = options.followOrigins ?? [new URL(url).origin];
    let method = options.method ?? (options.form ? 'POST' : 'GET');
    let body = options.form ? new URLSearchParams(options.form) : undefined;
    let current = url;
    for (let hops = 0; hops < 20; hops += 1) {
      const page = await this.#fetchOnce(current, method, body, options.headers ?? {});
      const redirect = page.status >= 300 && page.status < 400 && page.location;
      if (!redirect || options.followRedirects === false || !followOrigins.includes(new URL(page.location!).origin)) return page;
      if (page.status !== 307 && page.status !== 308) {
        method = 'GET';
        body = undefined;
      }
      current = page.location!;
    }
    throw new Error(`too many redirects from ${url}`);
  }

  get(url: string, options: Omit<RequestOptions, 'method' | 'form'> = {}): Promise<Page> {
    return this.request(url, { ...options, method: 'GET' });
  }

  /**
   * Submits a form of the page the way a browser would: its fields, the chosen button's
   * name/value, then `fields` on top. `omit` drops fields (e.g. the CSRF token).
   */
  submit(page: Page, options: {
    form?: (form: Form) => boolean;
    button?: string | RegExp;
    fields?: Record<string, string>;
    omit?: string[];
    followOrigins?: string[];
    followRedirects?: boolean;
    headers?: Record<string, string>;
  } = {}): Promise<Page> {
    const forms = parseForms(page);
    const matches = (text: string) => (typeof options.button === 'string' ? text === options.button : options.button!.test(text));
    const form = options.form
      ? forms.find(options.form)
      : options.button
        ? forms.find((candidate) => candidate.buttons.some((button) => matches(button.text)))
        : forms[0];
    if (!form) throw new Error(`no matching form on ${page.url}:\n${page.body}`);
    const button = options.button ? form.buttons.find((candidate) => matches(candidate.text)) : undefined;
    const data = new URLSearchParams(form.fields);
    if (button?.name) data.set(button.name, button.value ?? '');
    for (const [name, value] of Object.entries(options.fields ?? {})) data.set(name, value);
    for (const name of options.omit ?? []) data.delete(name);
    const follow = { followOrigins: options.followOrigins, followRedirects: options.followRedirects, headers: options.headers };
    if (form.method === 'POST') return this.request(form.action, { method: 'POST', form: data, ...follow });
    const target = new URL(form.action);
    target.search = data.toString();
    return this.request(target.href, { method: 'GET', ...follow });
  }
}
