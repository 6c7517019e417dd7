/**
 * The review page's parts, hermetic: escaping of data strings (the HTML a page is built from holds
 * no tag, attribute or link a data string could inject), the Content-Security-Policy hashes, the
 * issue-list reader's errors, the overview grid and the block-averaged overview pixels.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { VectorLayerError } from "../../src/core/errors.js";
import { silentLogger } from "../../src/core/logger.js";
import { coordinateTransform } from "../../src/ingest/crs.js";
import { writeGeoTiff } from "../../src/ingest/geotiff-writer.js";
import { buildMosaic, type Mosaic } from "../../src/ingest/mosaic.js";
import { openRaster } from "../../src/ingest/raster-source.js";
import { stretchToBytes } from "../../src/ingest/true-colour.js";
import { countyPageHtml, type CountyPageInput } from "../../src/review/county-page.js";
import { escapeHtml, outputRelativeHref } from "../../src/review/html-escape.js";
import { indexPageHtml } from "../../src/review/index-page.js";
import { overviewGrid } from "../../src/review/overview-grid.js";
import { readOverviewPixels } from "../../src/review/overview-image.js";
import { readCountyIssues, type ReviewIssue } from "../../src/review/review-issues.js";

const EVIL = `<img src=x onerror=alert(1)>"'&</script><script>alert(2)</script>`;

function issue(over: Partial<ReviewIssue["properties"]> = {}): ReviewIssue {
  return {
    geometry: {
      type: "Polygon",
      coordinates: [
        [
          [111.5, 40.5],
          [111.501, 40.5],
          [111.501, 40.501],
          [111.5, 40.501],
          [111.5, 40.5],
        ],
      ],
    },
    properties: {
      id: "150121-aaaaaaaaaaaa",
      county_adcode: "150121",
      county_name: "土默特左旗",
      prefecture_adcode: "150100",
      change_type: "construction",
      area_m2: 1234.5,
      area_mu: 1.852,
      pbf_area_m2: 100,
      confidence: 0.9,
      confidence_level: "high",
      status: "new",
      before_chip: "chips/150100/150121/150121-aaaaaaaaaaaa-before.png",
      after_chip: "chips/150100/150121/150121-aaaaaaaaaaaa-after.png",
      ...over,
    },
  };
}

function pageInput(issues: ReviewIssue[], name = "土默特左旗"): CountyPageInput {
  return {
    run: { runId: "r1", month: "2026-10" },
    county: { adcode: "150121", name, prefectureAdcode: "150100" },
    issues,
    paths: issues.map(() => "M0,0L1,0L1,1Z"),
    overview: { href: "150121-overview.png", width: 10, height: 10, pixelSizeM: 4, unreadRows: 0 },
    listFile: "issues/150100/150121.geojson",
  };
}

describe("escaping", () => {
  it("escapes the five HTML-special characters and nothing else", () => {
    expect(escapeHtml(`a<b>c&d"e'f 土`)).toBe("a&lt;b&gt;c&amp;d&quot;e&#39;f 土");
  });

  it("links only plain relative paths inside the output folder", () => {
    expect(outputRelativeHref("chips/150100/x-after.png", 2)).toBe("../../chips/150100/x-after.png");
    for (const bad of [
      "../secret.png",
      "chips/../../x.png",
      "/etc/passwd",
      "javascript:alert(1)",
      "http://example.com/x.png",
      "chips/a b.png",
      'chips/"x.png',
      "chips//x.png",
      "",
      null,
    ])
      expect(outputRelativeHref(bad, 2), String(bad)).toBeNull();
  });

  it("puts no data string into the page unescaped, and no unsafe chip link", () => {
    const html = countyPageHtml(
      pageInput(
        [
          issue({
            id: EVIL,
            change_type: EVIL,
            status: EVIL,
            confidence_level: EVIL,
            tier: EVIL,
            baseline_class: EVIL,
            before_chip: "javascript:alert(3)",
            after_chip: "../../../etc/x.png",
            before_date: EVIL,
          }),
        ],
        EVIL,
      ),
    );
    expect(html).not.toContain("<img src=x");
    expect(html).not.toContain("alert(2)</script>");
    expect(html).not.toContain("javascript:");
    expect(html).not.toContain("etc/x.png");
    expect(html.match(/<script/g)).toHaveLength(1); // the page's own
    expect(html).toContain(escapeHtml(EVIL));
    const index = indexPageHtml({
      run: { runId: "r1", month: "2026-10" },
      counties: [
        {
          adcode: "150121",
          name: EVIL,
          prefectureAdcode: "150100",
          issues: 1,
          approved: 0,
          areaM2: 1,
          byType: { construction: { count: 1 } },
        },
      ],
      pages: new Map([["150121", "150100/150121.html"]]),
    });
    expect(index).not.toContain("<img src=x");
    expect(index).not.toContain("<script");
    expect(index).toContain(escapeHtml(EVIL));
  });

  it("allows exactly its own inline style and script by hash, images from files and data: only", () => {
    const html = countyPageHtml(pageInput([issue()]));
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/
      .exec(html)![1]!
      .replaceAll("&#39;", "'");
    const script = /<script>([\s\S]*)<\/script>/.exec(html)![1]!;
    const style = /<style>([\s\S]*)<\/style>/.exec(html)![1]!;
    const hash = (t: string): string => createHash("sha256").update(t).digest("base64");
    expect(csp).toContain(`script-src 'sha256-${hash(script)}'`);
    expect(csp).toContain(`style-src 'sha256-${hash(style)}'`);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("img-src 'self' file: data:");
    // No inline style attributes or event handlers, which such a policy would block.
    expect(html).not.toMatch(/\sstyle="/);
    expect(html).not.toMatch(/\son[a-z]+="/);
  });

  it("shows a tier column and filter only when an issue carries a tier", () => {
    expect(countyPageHtml(pageInput([issue()]))).not.toContain('id="f-tier"');
    const withTier = countyPageHtml(pageInput([issue({ tier: "provisional" }), issue({ id: "b" })]));
    expect(withTier).toContain('id="f-tier"');
    expect(withTier).toContain('<option value="provisional">provisional (1)</option>');
    expect(withTier).toContain('data-sort="tier"');
  });
});

describe("readCountyIssues", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "review-issues-"));

  it("names the file and the feature that is not an issue", async () => {
    const file = path.join(dir, "bad.geojson");
    const good = { type: "Feature", ...issue() };
    const bad = { type: "Feature", ...issue(), properties: { ...issue().properties, area_m2: "big" } };
    writeFileSync(file, JSON.stringify({ type: "FeatureCollection", features: [good, bad] }));
    const err = await readCountyIssues(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VectorLayerError);
    expect((err as VectorLayerError).featureIndex).toBe(1);
    expect((err as VectorLayerError).source).toBe(file);
    expect((err as VectorLayerError).problem).toContain("area_m2");
  });

  it("refuses a file that is not a FeatureCollection", async () => {
    const file = path.join(dir, "not.geojson");
    writeFileSync(file, JSON.stringify({ type: "Feature" }));
    await expect(readCountyIssues(file)).rejects.toBeInstanceOf(VectorLayerError);
  });

  it("keeps properties it does not show", async () => {
    const file = path.join(dir, "ok.geojson");
    const f = {
      type: "Feature",
      ...issue(),
      properties: { ...issue().properties, first_seen: "2026-09-01" },
    };
    writeFileSync(file, JSON.stringify({ type: "FeatureCollection", features: [f] }));
    const [read] = await readCountyIssues(file);
    expect(read!.properties.id).toBe("150121-aaaaaaaaaaaa");
    expect((read!.properties as Record<string, unknown>).first_seen).toBe("2026-09-01");
  });
});

describe("overview grid and pixels", () => {
  // A CGCS2000 3-degree GK zone 37 grid at 4 m, as the demo.
  const crs = "EPSG:4546";
  const affine = {
    originX: 552000,
    pixelWidth: 4,
    rowRotation: 0,
    originY: 4490000,
    colRotation: 0,
    pixelHeight: -4,
  };
  const toLonLat = coordinateTransform(crs, "EPSG:4326");
  /** A rectangular issue over mosaic pixel corners (c0, r0)–(c1, r1). */
  function boxIssue(c0: number, r0: number, c1: number, r1: number): ReviewIssue {
    const ll = (c: number, r: number): number[] => {
      const p = toLonLat.forward(affine.originX + c * 4, affine.originY - r * 4);
      return [p.x, p.y];
    };
    const ring = [ll(c0, r1), ll(c1, r1), ll(c1, r0), ll(c0, r0), ll(c0, r1)];
    return { ...issue(), geometry: { type: "Polygon", coordinates: [ring] } };
  }
  const bigMosaic = { crs, affine, width: 10_000, height: 10_000 } as unknown as Mosaic;

  it("covers the issues plus the margin, clamped to the mosaic, decimated by a whole factor", () => {
    const grid = overviewGrid([boxIssue(100, 200, 110, 210), boxIssue(3000, 900, 3010, 950)], bigMosaic, {
      contextM: 40,
      maxPx: 1024,
    });
    // 10 px margin: cols 90–3020 (2930 px), rows 190–960 (770 px); 2930 / 1024 → factor 3.
    expect(grid.factor).toBe(3);
    expect(grid.window.x0).toBe(90);
    expect(grid.window.y0).toBe(190);
    expect(grid.width).toBe(Math.ceil(2930 / 3));
    expect(grid.height).toBe(Math.ceil(770 / 3));
    expect(grid.window.x1 - grid.window.x0).toBe(grid.width * 3);
    const clamped = overviewGrid([boxIssue(2, 3, 12, 13)], bigMosaic, { contextM: 40, maxPx: 1024 });
    expect(clamped.window).toEqual({ x0: 0, y0: 0, x1: 22, y1: 23 });
    expect(clamped.factor).toBe(1);
  });

  it("converts the margin to pixels of a geographic grid at 111.32 km per degree", () => {
    const geo = {
      crs: "EPSG:4326",
      affine: {
        originX: 111,
        pixelWidth: 1e-4,
        rowRotation: 0,
        originY: 41,
        colRotation: 0,
        pixelHeight: -1e-4,
      },
      width: 10_000,
      height: 10_000,
    } as unknown as Mosaic;
    const square = (c0: number, r0: number, c1: number, r1: number): ReviewIssue => {
      const ll = (c: number, r: number): number[] => [111 + c * 1e-4, 41 - r * 1e-4];
      return {
        ...issue(),
        geometry: {
          type: "Polygon",
          coordinates: [[ll(c0, r1), ll(c1, r1), ll(c1, r0), ll(c0, r0), ll(c0, r1)]],
        },
      };
    };
    // 100 m / 11.132 m per pixel → a margin of 9 pixels.
    const grid = overviewGrid([square(100, 200, 110, 210)], geo, { contextM: 100, maxPx: 1024 });
    expect(grid.window).toEqual({ x0: 91, y0: 191, x1: 119, y1: 219 });
  });

  it("averages the observed pixels of each block, leaving unobserved blocks black", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "review-overview-"));
    const file = path.join(dir, "rgb-12x10-nodata0.tif");
    const width = 12;
    const height = 10;
    const bands = [0, 1, 2].map((b) =>
      Uint8Array.from({ length: width * height }, (_, i) => {
        const x = i % width;
        const y = Math.floor(i / width);
        if (x >= 8 && y >= 6) return 0; // an unobserved corner (nodata in every band)
        return 1 + ((x * 7 + y * 13 + b * 31) % 250);
      }),
    );
    await writeGeoTiff(
      file,
      { width, height, bandCount: 3, sampleType: "uint8", affine, crs, nodata: 0 },
      bands,
    );
    const raster = await openRaster(file);
    try {
      const mosaic = buildMosaic([raster]);
      const grid = { window: { x0: 2, y0: 0, x1: 12, y1: 10 }, factor: 2, width: 5, height: 5 };
      const got = await readOverviewPixels(mosaic, grid, [0, 1, 2], silentLogger());
      for (let oy = 0; oy < 5; oy++)
        for (let ox = 0; ox < 5; ox++) {
          const o = oy * 5 + ox;
          const px: number[] = [];
          for (let dy = 0; dy < 2; dy++)
            for (let dx = 0; dx < 2; dx++) {
              const x = 2 + ox * 2 + dx;
              const y = oy * 2 + dy;
              if (!(x >= 8 && y >= 6)) px.push(y * width + x);
            }
          expect(got.observed[o], `block ${ox},${oy}`).toBe(px.length > 0 ? 1 : 0);
          for (let b = 0; b < 3; b++) {
            const mean = px.length > 0 ? px.reduce((s, i) => s + bands[b]![i]!, 0) / px.length : 0;
            expect(got.bands[b]![o]).toBeCloseTo(mean, 9);
          }
        }
      expect(got.unreadRows).toBe(0);
    } finally {
      await raster.close();
    }
  });

  it("stretches a band between its 2nd and 98th percentile over observed pixels", () => {
    const ramp = Float64Array.from({ length: 100 }, (_, i) => 99 - i);
    const observed = new Uint8Array(100).fill(1);
    observed[0] = 0; // 99 is not observed: 99 values 0..98, 2nd percentile 1, 98th 97
    const out = stretchToBytes(ramp, observed);
    expect(out[0]).toBe(0);
    expect(out[99 - 1]).toBe(0); // value 1 → 0
    expect(out[99 - 97]).toBe(255); // value 97 → 255
    expect(out[99 - 49]).toBe(Math.round(((49 - 1) / 96) * 255));
  });
});
