/**
 * Random-access byte sources under the GeoTIFF reader: a local file (positional reads) or an
 * http(s) URL (range requests, see ./http-source.ts). Both return at most the bytes that exist:
 * a read that runs past the end of the file comes back short, and the caller decides whether
 * that is an overread of a header (harmless) or a truncated pixel block (an error).
 */
import { open, type FileHandle } from "node:fs/promises";
import { RasterFormatError } from "../core/errors.js";

/** A byte range in a file: `length` bytes starting at byte `offset`. */
export interface ByteRange {
  readonly offset: number;
  readonly length: number;
}

export interface ByteSource {
  /** Path or URL for messages, with any credentials redacted. */
  readonly name: string;
  /** Total size in bytes, or null when the server did not say. */
  readonly size: number | null;
  /** True for remote sources (reads are coalesced more aggressively there). */
  readonly remote: boolean;
  /**
   * Bytes [offset, offset + length), or fewer when the file ends first. The returned array
   * owns its buffer from byteOffset 0 unless it is a view into a cached block.
   */
  read(offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array>;
  close(): Promise<void>;
}

function errnoCode(e: unknown): string | undefined {
  return e && typeof e === "object" && "code" in e ? String((e as { code: unknown }).code) : undefined;
}

/** A local file read with positional `read` calls; nothing is held in memory between reads. */
export class LocalFileSource implements ByteSource {
  readonly remote = false;
  private constructor(
    readonly name: string,
    readonly size: number,
    private readonly handle: FileHandle,
  ) {}

  /** Opens `path` read-only; a missing, unreadable or non-regular file is a {@link RasterFormatError}. */
  static async open(path: string): Promise<LocalFileSource> {
    let handle: FileHandle;
    try {
      handle = await open(path, "r");
    } catch (cause) {
      const code = errnoCode(cause);
      const problem =
        code === "ENOENT"
          ? "no such file"
          : code === "EACCES" || code === "EPERM"
            ? "permission denied"
            : `cannot open (${code ?? String(cause)})`;
      throw new RasterFormatError(path, problem, { cause });
    }
    const stat = await handle.stat();
    if (!stat.isFile()) {
      await handle.close();
      throw new RasterFormatError(
        path,
        stat.isDirectory() ? "is a directory, not a file" : "is not a regular file",
      );
    }
    return new LocalFileSource(path, stat.size, handle);
  }

  async read(offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array> {
    signal?.throwIfAborted();
    const n = Math.max(0, Math.min(length, this.size - offset));
    // allocUnsafeSlow: a buffer of its own (byteOffset 0), so typed views on it are aligned.
    const out = new Uint8Array(Buffer.allocUnsafeSlow(n).buffer, 0, n);
    let done = 0;
    while (done < n) {
      const { bytesRead } = await this.handle.read(out, done, n - done, offset + done);
      if (bytesRead === 0) break; // the file shrank under us; the caller sees a short read
      done += bytesRead;
    }
    return done === n ? out : out.subarray(0, done);
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

/**
 * Merges byte ranges that lie within `maxGap` bytes of each other into single reads of at most
 * `maxLength` bytes (a single range longer than that is kept whole). Returns the merged reads,
 * sorted by offset; each input range lies wholly inside one of them.
 */
export function coalesceRanges(ranges: readonly ByteRange[], maxGap: number, maxLength: number): ByteRange[] {
  const sorted = [...ranges].sort((a, b) => a.offset - b.offset);
  const merged: { offset: number; end: number }[] = [];
  for (const r of sorted) {
    const end = r.offset + r.length;
    const last = merged[merged.length - 1];
    if (last && r.offset - last.end <= maxGap && Math.max(end, last.end) - last.offset <= maxLength) {
      last.end = Math.max(last.end, end);
    } else {
      merged.push({ offset: r.offset, end });
    }
  }
  return merged.map((m) => ({ offset: m.offset, length: m.end - m.offset }));
}
