/**
 * An http(s) URL as a {@link ByteSource}: HTTP range requests through Node's fetch.
 *
 * - Credentials in the URL (`https://user:pass@host/…`) are sent as a Basic Authorization
 *   header and never appear in `name`, in error messages or in logs; signed-URL query
 *   parameters (signature, token, credential…) are redacted the same way.
 * - Small reads (TIFF headers, IFDs, offset arrays) go through a cache of aligned 64 KiB
 *   blocks, so parsing a COG header costs one or two requests; pixel blocks are fetched exactly.
 * - Failures are {@link RemoteSourceError}s: 4xx is permanent (except 408 and 429), 5xx,
 *   timeouts and network errors are transient, so a queue retries only what may succeed.
 */
import { RemoteSourceError } from "../core/errors.js";
import type { ByteSource } from "./byte-source.js";

const SECRET_QUERY_PARAMS =
  /^(x-amz-signature|x-amz-credential|x-amz-security-token|x-goog-signature|x-goog-credential|sig|signature|token|access_token|api_key|apikey|key|password|secret|credential)$/i;

/** True for strings that look like an http(s) URL. */
export function isHttpUrl(s: string): boolean {
  return /^https?:\/\//i.test(s);
}

/**
 * The URL with user name, password and secret-looking query values replaced by `***`, for
 * messages and logs. Non-URLs are returned unchanged.
 */
export function redactUrl(s: string): string {
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return s;
  }
  const auth = u.username || u.password ? "***:***@" : "";
  const params = [...u.searchParams.entries()].map(
    ([k, v]) => `${encodeURIComponent(k)}=${SECRET_QUERY_PARAMS.test(k) ? "***" : encodeURIComponent(v)}`,
  );
  const search = params.length > 0 ? `?${params.join("&")}` : "";
  return `${u.protocol}//${auth}${u.host}${u.pathname}${search}${u.hash}`;
}

export interface HttpSourceOptions {
  /** Extra request headers (e.g. an API key header). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Per-request timeout in milliseconds; 30 s by default. */
  readonly timeoutMs?: number;
  /**
   * Largest file accepted whole from a server that ignores Range and answers 200; such a file is
   * then kept in memory. 32 MiB by default; larger ones are refused with a clear message.
   */
  readonly maxWholeFileBytes?: number;
  readonly signal?: AbortSignal;
}

const BLOCK = 64 * 1024;
const CACHE_BLOCKS = 64;

function transientStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

function networkProblem(cause: unknown): string {
  const inner = cause instanceof Error && cause.cause instanceof Error ? cause.cause : cause;
  const code =
    inner && typeof inner === "object" && "code" in inner ? String((inner as { code: unknown }).code) : "";
  const msg = inner instanceof Error ? inner.message : String(inner);
  return `could not reach the server${code ? ` (${code})` : ""}: ${msg}`;
}

/** An http(s) GeoTIFF read with range requests. Create with {@link HttpSource.open}. */
export class HttpSource implements ByteSource {
  readonly remote = true;
  private readonly blocks = new Map<number, Promise<Uint8Array>>();
  private wholeFile: Uint8Array | null = null;
  private _size: number | null = null;

  private constructor(
    private readonly url: string,
    readonly name: string,
    private readonly headers: Record<string, string>,
    private readonly timeoutMs: number,
    private readonly maxWholeFileBytes: number,
  ) {}

  get size(): number | null {
    return this._size;
  }

  /**
   * Prepares a source for `rawUrl` and reads its first 64 KiB (which also tells the file size),
   * so a missing or unreachable file fails here, at open, with a {@link RemoteSourceError}.
   */
  static async open(rawUrl: string, options: HttpSourceOptions = {}): Promise<HttpSource> {
    const name = redactUrl(rawUrl);
    let u: URL;
    try {
      u = new URL(rawUrl);
    } catch (cause) {
      throw new RemoteSourceError(name, "is not a valid URL", null, true, { cause });
    }
    const headers: Record<string, string> = { ...options.headers };
    if (u.username || u.password) {
      const user = decodeURIComponent(u.username);
      const pass = decodeURIComponent(u.password);
      headers.Authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}`;
      u.username = "";
      u.password = "";
    }
    const src = new HttpSource(
      u.toString(),
      name,
      headers,
      options.timeoutMs ?? 30_000,
      options.maxWholeFileBytes ?? 32 * 1024 * 1024,
    );
    await src.block(0, options.signal);
    return src;
  }

  async read(offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array> {
    signal?.throwIfAborted();
    if (this.wholeFile) return this.wholeFile.subarray(offset, offset + length);
    if (this._size !== null) length = Math.max(0, Math.min(length, this._size - offset));
    if (length === 0) return new Uint8Array(0);
    const first = Math.floor(offset / BLOCK);
    const last = Math.floor((offset + length - 1) / BLOCK);
    if (length >= BLOCK || last - first > 1) return this.fetchRange(offset, length, signal);
    const parts = await Promise.all(
      Array.from({ length: last - first + 1 }, (_, i) => this.block(first + i, signal)),
    );
    if (this.wholeFile) return (this.wholeFile as Uint8Array).subarray(offset, offset + length);
    if (parts.length === 1) {
      const start = offset - first * BLOCK;
      return parts[0]!.subarray(start, start + length);
    }
    const out = new Uint8Array(length);
    let written = 0;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      const start = i === 0 ? offset - first * BLOCK : 0;
      const n = Math.min(part.length - start, length - written);
      if (n <= 0) break;
      out.set(part.subarray(start, start + n), written);
      written += n;
    }
    return written === length ? out : out.subarray(0, written);
  }

  async close(): Promise<void> {
    this.blocks.clear();
    this.wholeFile = null;
  }

  private block(index: number, signal?: AbortSignal): Promise<Uint8Array> {
    const cached = this.blocks.get(index);
    if (cached) {
      // refresh LRU position
      this.blocks.delete(index);
      this.blocks.set(index, cached);
      return cached;
    }
    const p = this.fetchRange(index * BLOCK, BLOCK, signal);
    this.blocks.set(index, p);
    p.catch(() => this.blocks.delete(index));
    while (this.blocks.size > CACHE_BLOCKS) {
      const oldest = this.blocks.keys().next().value as number;
      this.blocks.delete(oldest);
    }
    return p;
  }

  private async fetchRange(offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array> {
    if (this.wholeFile) return this.wholeFile.subarray(offset, offset + length);
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let response: Response;
    try {
      response = await fetch(this.url, {
        headers: { ...this.headers, Range: `bytes=${offset}-${offset + length - 1}` },
        signal: combined,
        redirect: "follow",
      });
    } catch (cause) {
      if (signal?.aborted) throw signal.reason;
      if (timeout.aborted) {
        throw new RemoteSourceError(this.name, `no answer within ${this.timeoutMs} ms`, null, false, {
          cause,
        });
      }
      throw new RemoteSourceError(this.name, networkProblem(cause), null, false, { cause });
    }
    try {
      return await this.body(response, offset, length, combined);
    } catch (e) {
      if (signal?.aborted) throw signal.reason;
      if (e instanceof RemoteSourceError) throw e;
      if (timeout.aborted) {
        throw new RemoteSourceError(this.name, `body not received within ${this.timeoutMs} ms`, null, false, {
          cause: e,
        });
      }
      throw new RemoteSourceError(this.name, networkProblem(e), null, false, { cause: e });
    }
  }

  private async body(
    response: Response,
    offset: number,
    length: number,
    signal: AbortSignal,
  ): Promise<Uint8Array> {
    const { status } = response;
    if (status === 206) {
      const range = /bytes\s+(\d+)-(\d+)\/(\d+|\*)/i.exec(response.headers.get("content-range") ?? "");
      if (range && range[3] !== "*") this._size = Number(range[3]);
      if (range && Number(range[1]) !== offset) {
        await response.body?.cancel();
        throw new RemoteSourceError(
          this.name,
          `server answered a range request for byte ${offset} with bytes from ${range[1]}`,
          status,
          true,
        );
      }
      const data = new Uint8Array(await response.arrayBuffer());
      return data.length > length ? data.subarray(0, length) : data;
    }
    if (status === 416) {
      await response.body?.cancel();
      const total = /\/(\d+)/.exec(response.headers.get("content-range") ?? "");
      if (total) this._size = Number(total[1]);
      return new Uint8Array(0); // past the end of the file: a short (empty) read
    }
    if (status === 200) {
      const declared = Number(response.headers.get("content-length") ?? NaN);
      if (Number.isFinite(declared) && declared > this.maxWholeFileBytes) {
        await response.body?.cancel();
        throw new RemoteSourceError(
          this.name,
          `server ignores HTTP Range requests (answered 200 with the whole ${declared}-byte file); ` +
            "serve it from a server that supports ranges, or download it first",
          status,
          true,
        );
      }
      signal.throwIfAborted();
      const data = new Uint8Array(await response.arrayBuffer());
      if (data.length > this.maxWholeFileBytes) {
        throw new RemoteSourceError(
          this.name,
          `server ignores HTTP Range requests (sent the whole ${data.length}-byte file)`,
          status,
          true,
        );
      }
      this.wholeFile = data;
      this._size = data.length;
      this.blocks.clear();
      return data.subarray(offset, offset + length);
    }
    await response.body?.cancel();
    const text = response.statusText ? ` ${response.statusText}` : "";
    throw new RemoteSourceError(this.name, `HTTP ${status}${text}`, status, !transientStatus(status));
  }
}
