/**
 * Test helper: runs `gdal_rasterize` onto a north-up grid and reads the result back
 * (ENVI raw output, little-endian UInt32). GDAL is the reference; the product never calls it.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

export interface GdalRasterizeRun {
  readonly data: Uint32Array;
  readonly width: number;
  readonly height: number;
  readonly milliseconds: number;
}

/**
 * `gdal_rasterize -a <field> -te minX minY maxX maxY -tr res res -ot UInt32 [-at]`. The output
 * grid's geotransform is [minX, res, 0, maxY, 0, -res] and its size round((max - min) / res).
 */
export function gdalRasterize(options: {
  readonly input: string;
  readonly output: string;
  readonly field: string;
  readonly te: readonly [number, number, number, number];
  readonly res: number;
  readonly allTouched: boolean;
}): GdalRasterizeRun {
  const { input, output, field, te, res, allTouched } = options;
  const args = [
    // One chunk of scanlines for the whole raster, so GDAL never shifts coordinates by a chunk offset.
    "--config",
    "GDAL_CACHEMAX",
    "1024",
    "-q",
    "-a",
    field,
    "-te",
    ...te.map(String),
    "-tr",
    String(res),
    String(res),
    "-ot",
    "UInt32",
    "-of",
    "ENVI",
    ...(allTouched ? ["-at"] : []),
    input,
    output,
  ];
  const t0 = performance.now();
  execFileSync("gdal_rasterize", args, { stdio: ["ignore", "ignore", "pipe"] });
  const milliseconds = performance.now() - t0;
  const hdr = readFileSync(output.replace(/\.[^.]+$/, ".hdr"), "utf8");
  const width = Number(/samples\s*=\s*(\d+)/.exec(hdr)?.[1]);
  const height = Number(/lines\s*=\s*(\d+)/.exec(hdr)?.[1]);
  if (!/byte order\s*=\s*0/.test(hdr)) throw new Error(`unexpected byte order in ${output}`);
  const buf = readFileSync(output);
  // Copy into a fresh, 4-byte-aligned buffer (a Buffer may sit at any offset of a shared pool).
  const data = new Uint32Array(width * height);
  new Uint8Array(data.buffer).set(buf.subarray(0, data.byteLength));
  return { data, width, height, milliseconds };
}

/** Pixels that differ, with the first few listed as "(col,row) gdal=… ours=…". */
export function pixelDifferences(
  gdal: Uint32Array,
  ours: ArrayLike<number>,
  width: number,
): { count: number; examples: string[] } {
  let count = 0;
  const examples: string[] = [];
  for (let i = 0; i < gdal.length; i++) {
    if (gdal[i] !== ours[i]) {
      count++;
      if (examples.length < 10)
        examples.push(`(${i % width},${Math.floor(i / width)}) gdal=${gdal[i]} ours=${ours[i]}`);
    }
  }
  return { count, examples };
}
