/**
 * `patrol info FILE [--json]`: what a GeoTIFF/COG holds (size, bands, type, nodata, CRS,
 * geotransform, bounds, blocks, compression, overviews, band descriptions), read from its
 * header only. FILE is a local path or an http(s) URL.
 */
import type { Command } from "commander";
import { describeRaster, formatRasterInfo, rasterInfoToJson } from "../../ingest/info.js";
import { openRaster } from "../../ingest/raster-source.js";

/** Registers the `info` subcommand on the program. */
export function registerInfoCommand(program: Command): void {
  program
    .command("info")
    .description("describe a GeoTIFF/COG (local path or http(s) URL) from its header")
    .argument("<file>", "GeoTIFF path or http(s) URL")
    .option("--json", 'print JSON (NaN nodata as "NaN", as gdalinfo -json does)')
    .action(async (file: string, opts: { json?: boolean }) => {
      // A user-defined CRS is reported, not refused: info is how a user finds out about it.
      const source = await openRaster(file, { allowUnknownCrs: true });
      try {
        const info = describeRaster(source);
        process.stdout.write(
          opts.json ? `${JSON.stringify(rasterInfoToJson(info), null, 2)}\n` : formatRasterInfo(info),
        );
      } finally {
        await source.close();
      }
    });
}
