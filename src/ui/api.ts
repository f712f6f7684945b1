/** Where the page keeps the server's token: this tab only, gone when it closes. */
const TOKEN_KEY = 'engram-token';

/** An answer of the API with an error: its stable code, its status and its message, shown to the person as they are. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export type Query = Record<string, string | number | undefined>;

/**
 * The page's one way to the server: Engram's REST API, same origin, with the
 * token (when the server has one) in the Authorization header, never in a URL.
 */
export class Api {
  get token(): string | undefined {
    return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
  }

  set token(value: string | undefined) {
    if (value === undefined) sessionStorage.removeItem(TOKEN_KEY);
    else sessionStorage.setItem(TOKEN_KEY, value);
  }

  async get<T>(path: string, query: Query = {}): Promise<T> {
    return this.json<T>('GET', path, query);
  }

  async send<T>(method: 'POST' | 'PUT' | 'DELETE', path: string, query: Query = {}, body?: unknown): Promise<T> {
    return this.json<T>(method, path, query, body);
  }

  /** A download: the body and the file name the server suggests. */
  async download(path: string, query: Query): Promise<{ blob: Blob; fileName: string }> {
    const response = await this.request('GET', path, query);
    const fileName = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? 'engram-export.jsonl';
    return { blob: await response.blob(), fileName };
  }

  private async json<T>(method: string, path: string, query: Query, body?: unknown): Promise<T> {
    const response = await this.request(method, path, query, body);
    return (await response.json()) as T;
  }

  private async request(method: string, path: string, query: Query, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.token !== undefined) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(urlOf(path, query), { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
    } catch (error) {
      throw new ApiError(0, 'UNREACHABLE', `the server did not answer (${error instanceof Error ? error.message : String(error)}); is \`engram serve\` still running?`);
    }
    if (!response.ok) throw await errorOf(response);
    return response;
  }
}

function urlOf(path: string, query: Query): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
  const search = params.toString();
  return search ? `${path}?${search}` : path;
}

/** The API's `{ error: { code, message } }`, or what can be said of an answer without it. */
async function errorOf(response: Response): Promise<ApiError> {
  try {
    const body = (await response.json()) as { error?: { code?: unknown; message?: unknown } };
    const { code, message } = body.error ?? {};
    if (typeof code === 'string' && typeof message === 'string') return new ApiError(response.status, code, message);
  } catch {
    // Not JSON: a proxy's page, a cut connection.
  }
  return new ApiError(response.status, 'HTTP_ERROR', `the server answered ${response.status} ${response.statusText}`);
}
