/**
 * Bad input gives typed errors that name the file and the problem, allocate nothing large,
 * and say whether a retry can help: not a TIFF, truncated files, corrupt blocks, unsupported
 * compression or sample types, absurd headers, out-of-range windows and bands, and HTTP
 * failures (404 permanent; 500 and unreachable hosts transient) against a local server that
 * serves real files with Range support. Credentials in URLs never reach messages.
 */
import { createServer, type Server } from "node:http";
import { mkdirSync, readFileSync, statSync, truncateSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  RangeRequestError,
  RasterFormatError,
  RemoteSourceError,
  TileReadError,
  isPermanentError,
} from "../../src/core/errors.js";
import { redactUrl } from "../../src/ingest/http-source.js";
import { openRaster } from "../../src/ingest/raster-source.js";
import { noTools } from "../support/environment.js";
import { firstDifference, makeTempDir, run, seededRandom, writeEnvi } from "./raster-gdal.js";

const tmp = makeTempDir("raster-errors");
afterAll(() => tmp.remove());

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(Error);
    return e as Error;
  }
  throw new RangeError("expected a rejection");
}

/** A little-endian classic TIFF with the given IFD entries (tag → [type, values]) and no pixels. */
function handMadeTiff(
  entries: Readonly<Record<number, readonly [type: 3 | 4, values: readonly number[], count?: number]>>,
): Buffer {
  const tags = Object.keys(entries)
    .map(Number)
    .sort((a, b) => a - b);
  const ifdSize = 2 + tags.length * 12 + 4;
  const extra: Buffer[] = [];
  let extraOffset = 8 + ifdSize;
  const ifd = Buffer.alloc(ifdSize);
  ifd.writeUInt16LE(tags.length, 0);
  tags.forEach((tag, i) => {
    const [type, values, declared] = entries[tag]!;
    const size = type === 3 ? 2 : 4;
    const e = 2 + i * 12;
    ifd.writeUInt16LE(tag, e);
    ifd.writeUInt16LE(type, e + 2);
    ifd.writeUInt32LE(declared ?? values.length, e + 4);
    const data = Buffer.alloc(values.length * size);
    values.forEach((v, k) => (size === 2 ? data.writeUInt16LE(v, k * 2) : data.writeUInt32LE(v, k * 4)));
    if (data.length <= 4 && declared === undefined) {
      data.copy(ifd, e + 8);
    } else {
      ifd.writeUInt32LE(extraOffset, e + 8);
      extra.push(data);
      extraOffset += data.length;
    }
  });
  const header = Buffer.from([0x49, 0x49, 42, 0, 8, 0, 0, 0]);
  return Buffer.concat([header, ifd, ...extra, Buffer.alloc(4096)]);
}

function writeTemp(name: string, data: Buffer | string): string {
  const file = path.join(tmp.dir, name);
  writeFileSync(file, data);
  return file;
}

const skipGdal = noTools("gdal_translate");

/** A 600×600 3-band uint16 DEFLATE GeoTIFF with 128×128 tiles, IFD first (as GDAL writes it). */
function tiledFixture(name: string, extra: readonly string[] = []): string {
  const rand = seededRandom(42);
  const bands = Array.from({ length: 3 }, () => {
    const a = new Uint16Array(600 * 600);
    for (let i = 0; i < a.length; i++)
      a[i] = 1000 + ((i % 600) * 7 + Math.floor(i / 600) * 3) + Math.floor(rand() * 400);
    return a;
  });
  const raw = writeEnvi(path.join(tmp.dir, `${name}.bin`), 600, 600, "uint16", bands);
  const out = path.join(tmp.dir, `${name}.tif`);
  run("gdal_translate", [
    "-q",
    "-a_srs",
    "EPSG:32650",
    "-a_ullr",
    "500000",
    "4006000",
    "506000",
    "4000000",
    ...extra,
    "-co",
    "TILED=YES",
    "-co",
    "BLOCKXSIZE=128",
    "-co",
    "BLOCKYSIZE=128",
    "-co",
    "COMPRESS=DEFLATE",
    raw,
    out,
  ]);
  return out;
}

describe("files that are not readable GeoTIFFs", () => {
  it.each([
    [
      "a PNG",
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]),
      /not a TIFF file.*PNG/,
    ],
    ["an HTML error page", "<!DOCTYPE html><html><body>Not here</body></html>", /not a TIFF file.*HTML/],
    ["an empty file", "", /not a TIFF file: the file is empty/],
    [
      "a TIFF byte-order mark with a bad version",
      Buffer.from([0x49, 0x49, 7, 0, 8, 0, 0, 0]),
      /bad version number 7/,
    ],
  ])("%s is a RasterFormatError naming the file", async (_what, content, pattern) => {
    const file = writeTemp(`not-a-tiff-${_what.replace(/\W+/g, "-")}`, content);
    const err = await failure(openRaster(file));
    expect(err).toBeInstanceOf(RasterFormatError);
    expect(err.name).toBe("RasterFormatError");
    expect(err.message.startsWith(`${file}: `)).toBe(true);
    expect(err.message).toMatch(pattern);
    expect(isPermanentError(err)).toBe(true);
  });

  it("a missing file and a directory are RasterFormatErrors", async () => {
    const missing = path.join(tmp.dir, "nope.tif");
    expect((await failure(openRaster(missing))).message).toBe(`${missing}: no such file`);
    const dir = path.join(tmp.dir, "a-dir.tif");
    mkdirSync(dir, { recursive: true });
    const err = await failure(openRaster(dir));
    expect(err).toBeInstanceOf(RasterFormatError);
    expect(err.message).toMatch(/is a directory/);
  });

  it("refuses a header declaring 10^6 × 10^6 pixels × 200 bands before allocating anything for it", async () => {
    const before = process.memoryUsage().arrayBuffers;
    const base = {
      256: [4, [1_000_000]],
      257: [4, [1_000_000]],
      258: [3, [8]],
      262: [3, [1]],
      277: [3, [200]],
      273: [4, [200]],
      279: [4, [100]],
    } as const;
    // one strip per row declared, but a single offset: inconsistent
    const perRow = writeTemp("absurd-rows.tif", handMadeTiff({ ...base, 259: [3, [1]], 278: [4, [1]] }));
    // one DEFLATE strip for the whole image: 2×10^14 bytes to inflate
    const oneStrip = writeTemp(
      "absurd-strip.tif",
      handMadeTiff({ ...base, 259: [3, [8]], 278: [4, [1_000_000]] }),
    );
    // uncompressed single strip: one row alone is larger than the file
    const rawStrip = writeTemp(
      "absurd-raw.tif",
      handMadeTiff({ ...base, 259: [3, [1]], 278: [4, [1_000_000]] }),
    );
    // a tag claiming 10^9 offsets that cannot fit in the file
    const hugeTag = writeTemp(
      "absurd-tag.tif",
      handMadeTiff({ ...base, 259: [3, [1]], 278: [4, [1]], 273: [4, [200], 1_000_000_000] }),
    );
    for (const [file, pattern] of [
      [perRow, /declares 1000000×1000000 pixels × 200 band\(s\).*1000000 strips.*1 entries/],
      [oneStrip, /one strip would decode to 200000000000000 bytes/],
      [rawStrip, /one uncompressed row \(200000000 bytes\) is larger than the \d+-byte file/],
      [hugeTag, /tag 273 declares 1000000000 values .* do not fit/],
    ] as const) {
      const err = await failure(openRaster(file));
      expect(err, file).toBeInstanceOf(RasterFormatError);
      expect(err.message).toMatch(pattern);
    }
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 1024 * 1024);
  });

  it.skipIf(noTools("gdal_create"))(
    "unsupported compression (LZMA) and sample type (12-bit) name what is unsupported",
    async () => {
      const lzma = path.join(tmp.dir, "lzma.tif");
      run("gdal_create", ["-q", "-outsize", "64", "64", "-ot", "UInt16", "-co", "COMPRESS=LZMA", lzma]);
      const e1 = await failure(openRaster(lzma));
      expect(e1).toBeInstanceOf(RasterFormatError);
      expect(e1.message).toMatch(/unsupported compression LZMA \(TIFF code 34925\)/);
      const nbits = path.join(tmp.dir, "nbits12.tif");
      run("gdal_create", ["-q", "-outsize", "64", "64", "-ot", "UInt16", "-co", "NBITS=12", nbits]);
      const e2 = await failure(openRaster(nbits));
      expect(e2).toBeInstanceOf(RasterFormatError);
      expect(e2.message).toMatch(/12-bit unsigned samples are not supported/);
    },
  );

  it.skipIf(skipGdal)("a truncated header is a RasterFormatError", async () => {
    const file = tiledFixture("cut-header");
    truncateSync(file, 60);
    const err = await failure(openRaster(file));
    expect(err).toBeInstanceOf(RasterFormatError);
    expect(err.message).toMatch(/cut off|truncated/);
  });
});

describe.skipIf(skipGdal)("reading damaged files", () => {
  let good: string;
  beforeAll(() => {
    good = tiledFixture("good");
  });

  it("a truncated file opens, reads what is intact, and fails with a TileReadError naming the window", async () => {
    const file = path.join(tmp.dir, "truncated.tif");
    writeFileSync(file, readFileSync(good));
    truncateSync(file, Math.floor(statSync(file).size * 0.5));
    const src = await openRaster(file);
    const intact = await openRaster(good);
    const top = { x0: 0, y0: 0, x1: 600, y1: 128 };
    const [a, b] = await Promise.all([src.read(top), intact.read(top)]);
    a.bands.forEach((band, i) => expect(firstDifference(band, b.bands[i]!)).toBe(-1));
    const bottom = { x0: 100, y0: 500, x1: 300, y1: 600 };
    const err = await failure(src.read(bottom));
    expect(err).toBeInstanceOf(TileReadError);
    const t = err as TileReadError;
    expect(t.name).toBe("TileReadError");
    expect(t.permanent).toBe(true);
    expect(t.window).toEqual(bottom);
    expect(t.message, t.message).toContain(file);
    expect(t.message).toMatch(
      /truncated file: tile \(col \d, row [34]\) needs bytes \d+\.\.\d+ but the file ends at byte \d+/,
    );
    expect(t.message).toContain("x0=100 y0=500 x1=300 y1=600");
    await Promise.all([src.close(), intact.close()]);
  });

  it.each(["DEFLATE", "LZW"])(
    "a corrupt %s tile is a permanent TileReadError that says which tile",
    async (codec) => {
      const source = codec === "DEFLATE" ? good : tiledFixture("good-lzw", ["-co", "COMPRESS=LZW"]);
      const file = path.join(tmp.dir, `corrupt-${codec}.tif`);
      const bytes = readFileSync(source);
      // Overwrite the middle of the file (inside some tile's compressed stream) with noise.
      const rand = seededRandom(7);
      const mid = Math.floor(bytes.length * 0.6);
      for (let i = 0; i < 4000; i++) bytes[mid + i] = Math.floor(rand() * 256);
      writeFileSync(file, bytes);
      const src = await openRaster(file);
      const err = await failure(src.read({ x0: 0, y0: 0, x1: 600, y1: 600 }));
      expect(err).toBeInstanceOf(TileReadError);
      expect((err as TileReadError).permanent).toBe(true);
      expect(err.message).toMatch(
        new RegExp(
          `tile \\(col \\d, row \\d\\) (could not be decoded \\(${codec}, \\d+ bytes at byte \\d+\\)|decodes to \\d+ bytes, expected \\d+)`,
        ),
      );
      await src.close();
    },
  );

  it("windows, bands and overviews out of range are RangeRequestErrors; maxPixels guards each read", async () => {
    const src = await openRaster(good, { maxPixels: 100_000 });
    const cases: [Promise<unknown>, RegExp][] = [
      [src.read({ x0: -1, y0: 0, x1: 10, y1: 10 }), /outside the 600×600 raster/],
      [src.read({ x0: 590, y0: 0, x1: 601, y1: 10 }), /outside the 600×600 raster/],
      [src.read({ x0: 5, y0: 5, x1: 5, y1: 10 }), /empty or outside/],
      [src.read({ x0: 0.5, y0: 0, x1: 10, y1: 10 }), /integer pixel bounds/],
      [
        src.read({ x0: 0, y0: 0, x1: 10, y1: 10 }, { bands: [3] }),
        /band index 3 is out of range: the raster has 3 band\(s\)/,
      ],
      [src.read({ x0: 0, y0: 0, x1: 10, y1: 10 }, { bands: [-1] }), /band index -1/],
      [src.read({ x0: 0, y0: 0, x1: 10, y1: 10 }, { overview: 1 }), /overview 1 does not exist/],
      [
        src.read({ x0: 0, y0: 0, x1: 600, y1: 200 }),
        /120000 pixels|600×200 pixels × 3 band\(s\) = 360000 samples exceeds maxPixels 100000/,
      ],
    ];
    for (const [p, pattern] of cases) {
      const err = await failure(p);
      expect(err).toBeInstanceOf(RangeRequestError);
      expect(err.name).toBe("RangeRequestError");
      expect(err.message).toMatch(pattern);
      expect(err.message.startsWith(`${good}: `)).toBe(true);
    }
    expect((await src.read({ x0: 0, y0: 0, x1: 300, y1: 100 }, { bands: [2] })).bands[0]).toHaveLength(
      30_000,
    );
    await src.close();
  });

  it("an aborted signal stops a read", async () => {
    const src = await openRaster(good);
    const ac = new AbortController();
    ac.abort();
    const err = await failure(src.read({ x0: 0, y0: 0, x1: 600, y1: 600 }, { signal: ac.signal }));
    expect(err.name).toBe("AbortError");
    await src.close();
  });
});

describe.skipIf(skipGdal)("http(s) sources against a local server", () => {
  let server: Server;
  let base: string;
  let file: string;
  let bytesServed = 0;
  const ranges: string[] = [];

  beforeAll(async () => {
    file = tiledFixture("served");
    const data = readFileSync(file);
    server = createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://localhost");
      const range = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? "");
      if (url.pathname === "/missing.tif") return void res.writeHead(404).end("not found");
      if (url.pathname === "/broken.tif") return void res.writeHead(500).end("oops");
      if (
        url.pathname === "/secret.tif" &&
        req.headers.authorization !== `Basic ${Buffer.from("user:s3cret").toString("base64")}`
      ) {
        return void res.writeHead(401).end("who are you");
      }
      if (url.pathname === "/flaky.tif" && range && Number(range[1]) >= 65536) {
        return void res.writeHead(503).end("busy");
      }
      if (url.pathname === "/no-range.tif" || !range) {
        bytesServed += data.length;
        return void res.writeHead(200, { "Content-Length": data.length }).end(data);
      }
      const start = Number(range[1]);
      if (start >= data.length)
        return void res.writeHead(416, { "Content-Range": `bytes */${data.length}` }).end();
      const end = Math.min(Number(range[2]), data.length - 1);
      ranges.push(`${start}-${end}`);
      bytesServed += end - start + 1;
      res.writeHead(206, {
        "Content-Range": `bytes ${start}-${end}/${data.length}`,
        "Content-Length": end - start + 1,
      });
      res.end(data.subarray(start, end + 1));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("reads a window with range requests, equal to the local read, without fetching the whole file", async () => {
    bytesServed = 0;
    ranges.length = 0;
    const remote = await openRaster(`${base}/served.tif`);
    const local = await openRaster(file);
    const w = { x0: 130, y0: 260, x1: 250, y1: 380 };
    const [r, l] = await Promise.all([remote.read(w, { bands: [1, 2] }), local.read(w, { bands: [1, 2] })]);
    r.bands.forEach((band, i) => expect(firstDifference(band, l.bands[i]!)).toBe(-1));
    expect(remote.source).toBe(`${base}/served.tif`);
    expect(remote.affine).toEqual(local.affine);
    expect(bytesServed).toBeLessThan(statSync(file).size / 3);
    expect(ranges.length).toBeLessThanOrEqual(4);
    const whole = await remote.read({ x0: 0, y0: 0, x1: 600, y1: 600 });
    const localWhole = await local.read({ x0: 0, y0: 0, x1: 600, y1: 600 });
    whole.bands.forEach((band, i) => expect(firstDifference(band, localWhole.bands[i]!)).toBe(-1));
    await Promise.all([remote.close(), local.close()]);
  });

  it("404 is a permanent RemoteSourceError, 500 a transient one", async () => {
    const e404 = await failure(openRaster(`${base}/missing.tif`));
    expect(e404).toBeInstanceOf(RemoteSourceError);
    expect(e404.name).toBe("RemoteSourceError");
    expect((e404 as RemoteSourceError).status).toBe(404);
    expect((e404 as RemoteSourceError).permanent).toBe(true);
    expect(e404.message).toBe(`${base}/missing.tif: HTTP 404 Not Found`);
    const e500 = await failure(openRaster(`${base}/broken.tif`));
    expect(e500).toBeInstanceOf(RemoteSourceError);
    expect((e500 as RemoteSourceError).status).toBe(500);
    expect((e500 as RemoteSourceError).permanent).toBe(false);
  });

  it("an unreachable port is a transient RemoteSourceError without a status", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const err = await failure(openRaster(`http://127.0.0.1:${port}/x.tif`));
    expect(err).toBeInstanceOf(RemoteSourceError);
    expect((err as RemoteSourceError).status).toBeNull();
    expect((err as RemoteSourceError).permanent).toBe(false);
    expect(err.message).toMatch(/could not reach the server \(ECONNREFUSED\)/);
  });

  it("a 503 while reading tiles is a transient TileReadError naming the window", async () => {
    const src = await openRaster(`${base}/flaky.tif`);
    const w = { x0: 0, y0: 472, x1: 600, y1: 600 };
    const err = await failure(src.read(w));
    expect(err).toBeInstanceOf(TileReadError);
    expect((err as TileReadError).permanent).toBe(false);
    expect((err as TileReadError).window).toEqual(w);
    expect((err as TileReadError).cause).toBeInstanceOf(RemoteSourceError);
    expect(err.message).toMatch(/HTTP 503/);
    await src.close();
  });

  it("credentials in the URL are sent as Basic auth and redacted from source and messages", async () => {
    const port = new URL(base).port;
    const src = await openRaster(`http://user:s3cret@127.0.0.1:${port}/secret.tif`);
    expect(src.source).toBe(`http://***:***@127.0.0.1:${port}/secret.tif`);
    expect((await src.read({ x0: 0, y0: 0, x1: 8, y1: 8 })).bands).toHaveLength(3);
    await src.close();
    const err = await failure(openRaster(`http://user:wr0ng@127.0.0.1:${port}/secret.tif`));
    expect(err).toBeInstanceOf(RemoteSourceError);
    expect((err as RemoteSourceError).status).toBe(401);
    expect((err as RemoteSourceError).permanent).toBe(true);
    expect(err.message).not.toContain("wr0ng");
    expect((err as RemoteSourceError).source).toBe(`http://***:***@127.0.0.1:${port}/secret.tif`);
    const e404 = await failure(
      openRaster(`http://user:s3cret@127.0.0.1:${port}/missing.tif?X-Amz-Signature=abc123&x=1`),
    );
    expect(e404.message).not.toMatch(/s3cret|abc123/);
    expect(redactUrl("https://a:b@host/p.tif?token=t0k&band=1")).toBe(
      "https://***:***@host/p.tif?token=***&band=1",
    );
  });

  it("a small file from a server that ignores Range is taken whole", async () => {
    const src = await openRaster(`${base}/no-range.tif`);
    const local = await openRaster(file);
    const w = { x0: 10, y0: 20, x1: 300, y1: 310 };
    const [a, b] = await Promise.all([src.read(w), local.read(w)]);
    a.bands.forEach((band, i) => expect(firstDifference(band, b.bands[i]!)).toBe(-1));
    await Promise.all([src.close(), local.close()]);
  });
});
