/** A tiny cookie-keeping client for pages, as one browser would be (tests without Chromium). */
export class PageSession {
  private readonly cookies = new Map<string, string>();

  constructor(private readonly origin: string) {}

  private remember(response: Response) {
    for (const header of response.headers.getSetCookie()) {
      const [pair] = header.split(';');
      const [name, ...value] = (pair ?? '').split('=');
      if (name) this.cookies.set(name.trim(), value.join('='));
    }
  }

  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }

  forget(name: string): void {
    this.cookies.delete(name);
  }

  private headers(extra: Record<string, string> = {}) {
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    return { ...(cookie ? { cookie } : {}), ...extra };
  }

  async get(path: string) {
    const response = await fetch(path.startsWith('http') ? path : `${this.origin}${path}`, {
      headers: this.headers(),
      redirect: 'manual',
    });
    this.remember(response);
    return { status: response.status, headers: response.headers, html: await response.text() };
  }

  async post(path: string, form: Record<string, string>) {
    const response = await fetch(`${this.origin}${path}`, {
      method: 'POST',
      headers: this.headers({ 'content-type': 'application/x-www-form-urlencoded' }),
      body: new URLSearchParams(form),
      redirect: 'manual',
    });
    this.remember(response);
    return { status: response.status, headers: response.headers, html: await response.text() };
  }

  /** The hidden form token of the last page (the double-submit value). */
  static formToken(html: string): string {
    return /name="form" value="([^"]+)"/.exec(html)?.[1] ?? '';
  }
}
