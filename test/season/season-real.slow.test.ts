/**
 * The per-pixel season history, the masks and the abandonment rules end to end on real series,
 * through the functions `patrol season` calls:
 *  - eo-learn (Slovenia, 68 Sentinel-2 NDVI dates 2015-07..2017-12, cloud_mask.tif, is_valid.tif,
 *    lulc.tif): cultivated land (lulc 1) is never called abandoned in its cultivated seasons 2016
 *    and 2017, on real evidence (enough observed months); the rules do flag land without signs
 *    of cultivation (artificial surfaces far more than forest or grass); the history agrees with
 *    the masks; and cloud-masked or invalid looks never change anything (replacing their NDVI by
 *    adversarial values gives the same histories and verdicts).
 *  - NAIP (one North Dakota quad, RGBN, one summer look per year 2009–2020): the spectral cloud
 *    test on cloud-free acquisitions, and the verdict for a year against the rule computed here
 *    from the raw bands.
 */
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parseDetectionConfig } from "../../src/config/detection-config.js";
import { openRaster } from "../../src/ingest/raster-source.js";
import { writeGeoTiff } from "../../src/ingest/geotiff-writer.js";
import { resolveSensorProfile } from "../../src/ingest/sensor-profile.js";
import {
  loadCropland,
  loadImageLooks,
  loadIndexStack,
  runSeasonSeries,
  type SeriesReport,
} from "../../src/report/season-series.js";
import { readSeasonState } from "../../src/season/index.js";
import { noSharedData, sharedData } from "../support/environment.js";

const EO = (f: string): string => sharedData("eo-learn", f);

async function readAll(file: string): Promise<{ bands: ArrayLike<number>[]; width: number; height: number }> {
  const r = await openRaster(file);
  try {
    const b = await r.read({ x0: 0, y0: 0, x1: r.width, y1: r.height });
    return { bands: [...b.bands] as ArrayLike<number>[], width: r.width, height: r.height };
  } finally {
    await r.close();
  }
}

describe.skipIf(noSharedData())("season history on eo-learn (Sentinel-2 NDVI, Slovenia)", () => {
  const config = parseDetectionConfig({});
  let cultivated: SeriesReport;
  let everything: SeriesReport;
  let outCultivated: string;
  let lulc: Uint8Array;
  let dates: string[];
  let clear: Uint8Array[]; // per date: 1 where valid, not cloud and NDVI finite
  let grid: Awaited<ReturnType<typeof loadIndexStack>>["grid"];

  beforeAll(async () => {
    const stack = await loadIndexStack({
      indexFile: EO("ndvi_timeseries.tif"),
      validFile: EO("is_valid.tif"),
      cloudFile: EO("cloud_mask.tif"),
    });
    grid = stack.grid;
    dates = JSON.parse(readFileSync(EO("timestamps.json"), "utf8")) as string[];
    const ndvi = await readAll(EO("ndvi_timeseries.tif"));
    const valid = await readAll(EO("is_valid.tif"));
    const cloud = await readAll(EO("cloud_mask.tif"));
    clear = ndvi.bands.map((b, k) =>
      Uint8Array.from(b, (v, i) =>
        Number.isFinite(v) && valid.bands[k]![i] !== 0 && cloud.bands[k]![i] === 0 ? 1 : 0,
      ),
    );
    const crop = await loadCropland(EO("lulc.tif"), grid, [1]);
    lulc = crop.classes;
    outCultivated = mkdtempSync(path.join(tmpdir(), "eo-season-"));
    cultivated = await runSeasonSeries(
      { grid, indexKind: "ndvi", looks: stack.looks, cropland: crop.cropland, classes: crop.classes },
      config,
      outCultivated,
    );
    everything = await runSeasonSeries(
      { grid, indexKind: "ndvi", looks: stack.looks, cropland: null, classes: crop.classes },
      config,
      mkdtempSync(path.join(tmpdir(), "eo-season-all-")),
    );
  }, 120_000);

  it("takes the band dates from the file, as timestamps.json lists them", () => {
    const months = [...new Set(dates.map((d) => d.slice(0, 7)))].sort();
    expect(cultivated.months.map((m) => m.month)).toEqual(months);
    expect(cultivated.months.reduce((s, m) => s + m.looks, 0)).toBe(68);
  });

  it("never calls cultivated land (lulc 1) abandoned in its cultivated seasons 2016 and 2017", async () => {
    const cropPixels = lulc.reduce((s, v) => s + (v === 1 ? 1 : 0), 0);
    expect(cropPixels).toBeGreaterThan(0);
    for (const season of [2016, 2017]) {
      const deciding = cultivated.months.filter((m) => m.season === season && m.deciding);
      expect(deciding.length).toBeGreaterThan(2);
      for (const m of deciding) {
        expect(m.croplandPixels).toBe(cropPixels);
        expect(m.verdictPixels).toBe(0);
        expect(m.reportedPixels).toBe(0);
      }
      // Not for want of evidence: at the season's last decision every class-1 pixel had been
      // observed in at least the rules' minimum share of months, so the rules did judge it.
      const last = deciding.filter((m) => m.month.endsWith("-10") || m.month.endsWith("-09")).pop()!;
      const state = (await readSeasonState(path.join(outCultivated, last.month), {
        ...grid,
        window: { x0: 0, y0: 0, x1: grid.width, y1: grid.height },
      }))!;
      for (let i = 0; i < lulc.length; i++) {
        if (lulc[i] !== 1) continue;
        let months = 0;
        for (let v = state.observedMonths[i]!; v; v &= v - 1) months++;
        expect(months / last.monthsElapsed).toBeGreaterThanOrEqual(config.rules.abandonment.threshold);
      }
    }
  });

  it("does flag land without signs of cultivation: artificial surfaces far more than forest or grass", () => {
    for (const season of [2016, 2017]) {
      const m = everything.months.filter((x) => x.season === season && x.deciding).pop()!;
      const share = (c: string): number => m.byClass[c]!.verdict / m.byClass[c]!.pixels;
      const vegetated =
        (m.byClass["2"]!.verdict + m.byClass["3"]!.verdict + m.byClass["4"]!.verdict) /
        (m.byClass["2"]!.pixels + m.byClass["3"]!.pixels + m.byClass["4"]!.pixels);
      expect(share("8")).toBeGreaterThan(0);
      expect(share("8")).toBeGreaterThan(5 * vegetated);
      expect(share("1")).toBe(0);
    }
  });

  it("records in the history exactly the growing-season months the masks let through", async () => {
    const state = (await readSeasonState(path.join(outCultivated, "2016-09"), {
      ...grid,
      window: { x0: 0, y0: 0, x1: grid.width, y1: grid.height },
    }))!;
    const n = grid.width * grid.height;
    for (let i = 0; i < n; i += 7) {
      let expected = 0;
      dates.forEach((d, k) => {
        const month = Number(d.slice(5, 7));
        if (d.startsWith("2016") && month >= 4 && month <= 9 && clear[k]![i] === 1)
          expected |= 1 << (month - 1);
      });
      expect(state.observedMonths[i]).toBe(expected);
    }
  });

  it("never lets a cloud-masked or invalid look change anything", async () => {
    // Write the NDVI series again with adversarial values wherever the masks say cloud or
    // invalid: bare soil on even dates (would count as tillage), full crop cover on odd ones
    // (would be a crop peak). Through the same loader, the histories and verdicts must not move.
    const src = await openRaster(EO("ndvi_timeseries.tif"));
    const ndvi = await readAll(EO("ndvi_timeseries.tif"));
    let masked = 0;
    const bands = ndvi.bands.map((b, k) =>
      Float32Array.from(b, (v, i) => {
        if (clear[k]![i] === 1) return v;
        masked++;
        return k % 2 === 0 ? -0.2 : 0.95;
      }),
    );
    const dir = mkdtempSync(path.join(tmpdir(), "eo-season-tampered-"));
    const file = path.join(dir, "ndvi-tampered.tif");
    await writeGeoTiff(
      file,
      {
        width: src.width,
        height: src.height,
        bandCount: bands.length,
        sampleType: "float32",
        affine: src.affine,
        crs: src.crs,
        bandDescriptions: src.bandDescriptions,
      },
      bands,
    );
    await src.close();
    expect(masked).toBeGreaterThan(100_000);
    const stack = await loadIndexStack({
      indexFile: file,
      validFile: EO("is_valid.tif"),
      cloudFile: EO("cloud_mask.tif"),
    });
    const crop = await loadCropland(EO("lulc.tif"), grid, [1]);
    const again = await runSeasonSeries(
      { grid, indexKind: "ndvi", looks: stack.looks, cropland: null, classes: crop.classes },
      config,
      path.join(dir, "out"),
    );
    expect(again.months).toEqual(everything.months);
    // Without the masks the same tampered file does change the verdicts: the test can fail.
    const unmasked = await loadIndexStack({ indexFile: file });
    const wrong = await runSeasonSeries(
      { grid, indexKind: "ndvi", looks: unmasked.looks, cropland: null, classes: crop.classes },
      config,
      path.join(dir, "unmasked"),
    );
    expect(wrong.months).not.toEqual(everything.months);
  });

  it("reports no abandonment change on a pixel its month did not observe", async () => {
    const n = grid.width * grid.height;
    for (const m of cultivated.months) {
      const observed = new Uint8Array(n);
      dates.forEach((d, k) => {
        if (d.startsWith(m.month)) for (let i = 0; i < n; i++) observed[i]! |= clear[k]![i]!;
      });
      const r = await readAll(path.join(outCultivated, m.month, "abandonment.tif"));
      const code = r.bands[1]!;
      for (let i = 0; i < n; i++) {
        if (observed[i] === 0) expect(code[i]).toBe(0);
        expect(r.bands[3]![i]).toBe(observed[i]);
      }
    }
  });
});

describe.skipIf(noSharedData())("season history on NAIP (RGBN, one summer look a year)", () => {
  const files = noSharedData()
    ? []
    : readdirSync(sharedData("naip"))
        .filter((f) => f.endsWith(".tif"))
        .sort();
  const dateOf = (f: string): string => f.replace(/^.*_(\d{4})(\d{2})(\d{2})\.tif$/, "$1-$2-$3");
  // One look a year: decide from June on a single look (threshold 0.1 = one month of the season).
  const config = parseDetectionConfig({
    abandonment: { decideFromMonth: 6 },
    rules: { abandonment: { threshold: 0.1 } },
  });
  let loaded: Awaited<ReturnType<typeof loadImageLooks>>;
  let report: SeriesReport;
  let out: string;

  beforeAll(async () => {
    loaded = await loadImageLooks(
      files.map((f) => ({ date: dateOf(f), file: sharedData("naip", f) })),
      resolveSensorProfile("rgbn"),
      config,
      { align: "nearest" },
    );
    out = mkdtempSync(path.join(tmpdir(), "naip-season-"));
    report = await runSeasonSeries(
      { grid: loaded.grid, indexKind: loaded.indexKind, looks: loaded.looks, cropland: null, classes: null },
      config,
      out,
    );
  }, 120_000);

  it("runs ten summers with NDVI, one season each", () => {
    expect(loaded.indexKind).toBe("ndvi");
    expect(report.months.map((m) => m.season)).toEqual(files.map((f) => Number(dateOf(f).slice(0, 4))));
    expect(report.months.every((m) => m.deciding)).toBe(true);
  });

  it("masks (almost) nothing as cloud on cloud-free NAIP acquisitions", () => {
    const n = loaded.grid.width * loaded.grid.height;
    for (const l of loaded.looks) expect(l.cloudPixels / n).toBeLessThan(0.02);
  });

  it("gives for 2016 the verdict the rule gives on the raw bands", async () => {
    const f = files.find((x) => x.includes("2016"))!;
    const raw = await readAll(sharedData("naip", f));
    const r = await readAll(path.join(out, "2016-08", "abandonment.tif"));
    const verdict = r.bands[0]!;
    const observed = r.bands[3]!;
    const { cropPeakMin, bareSoilMax } = config.abandonment.ndvi;
    // 2016 is 0.12 px east and 0.24 px south of 2009's grid: nearest pixel is the same index, and
    // it has one row fewer (723), so its rows are the grid's rows 0..722.
    let agree = 0;
    let compared = 0;
    for (let y = 0; y < raw.height; y++)
      for (let x = 0; x < raw.width; x++) {
        const i = y * loaded.grid.width + x;
        if (observed[i] === 0) continue;
        const j = y * raw.width + x;
        const red = raw.bands[0]![j]!;
        const nir = raw.bands[3]![j]!;
        const ndvi = (nir - red) / (nir + red);
        // 8-bit ratios often land exactly on 0.2 or 0.5, where float32 and float64 round apart.
        if (Math.abs(ndvi - cropPeakMin) < 1e-6 || Math.abs(ndvi - bareSoilMax) < 1e-6) continue;
        const expected = ndvi < cropPeakMin && ndvi > bareSoilMax ? 1 : 0;
        compared++;
        if (verdict[i] === expected) agree++;
      }
    expect(compared).toBeGreaterThan(0.9 * raw.width * raw.height);
    expect(agree).toBe(compared);
  });
});
