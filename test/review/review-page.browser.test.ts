/**
 * The review page in a real headless Chromium (browser lane, `*.browser.test.ts`): the demo run's
 * county page, opened from the file system, shows every issue of the county's GeoJSON, filters
 * and sorts them as the GeoJSON says it should, outlines one patch per issue where the issue lies,
 * loads every image, escapes a county name full of HTML, and makes no network request.
 */
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { FeatureCollection, MultiPolygon, Polygon } from "geojson";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useBackend } from "../../src/classify/backend.js";
import { silentLogger } from "../../src/core/logger.js";
import { writeDemoScene, type WrittenDemo } from "../../src/demo/write-scene.js";
import { coordinateTransform } from "../../src/ingest/crs.js";
import { runDetect } from "../../src/report/run-detect.js";
import type { IssueProperties } from "../../src/report/issues.js";
import { chromiumPath, noChromium } from "../support/environment.js";

interface DOMRectLike {
  x: number;
  y: number;
  width: number;
  height: number;
}

type Issue = FeatureCollection<Polygon | MultiPolygon, IssueProperties>["features"][number];

/** Outer-ring vertices of an issue, lon/lat. */
function outerVertices(i: Issue): number[][] {
  const polys = i.geometry.type === "Polygon" ? [i.geometry.coordinates] : i.geometry.coordinates;
  return polys.flatMap((p) => p[0]!);
}

/** A county name that is also an attack on a page that does not escape it. */
const EVIL_NAME = `托克托县 <img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script> & "q" 'a' </title>`;

describe.skipIf(noChromium())("the review page in headless Chromium, on the demo run", () => {
  let dir: string;
  let outDir: string;
  let demo: WrittenDemo;
  let county: { adcode: string; prefecture: string; issues: Issue[] };
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const requests: string[] = [];

  beforeAll(async () => {
    await useBackend("wasm");
    dir = mkdtempSync(path.join(tmpdir(), "review-page-"));
    demo = await writeDemoScene(dir, { size: 512 });
    // Give the county with the most patches a name full of HTML before the run.
    const countiesFile = path.join(dir, "counties.geojson");
    const counties = JSON.parse(readFileSync(countiesFile, "utf8")) as FeatureCollection;
    const target = counties.features.find((f) => f.properties?.adcode === "150122")!;
    target.properties!.name = EVIL_NAME;
    writeFileSync(countiesFile, JSON.stringify(counties));
    await runDetect(demo.manifestPath, { logger: silentLogger() });
    outDir = path.join(dir, "out");
    // The county with the most issues, from its GeoJSON.
    const lists = ["150121", "150122"]
      .map((adcode) => path.join(outDir, "issues", "150100", `${adcode}.geojson`))
      .filter((f) => existsSync(f))
      .map((f) => ({
        adcode: path.basename(f, ".geojson"),
        prefecture: "150100",
        issues: (
          JSON.parse(readFileSync(f, "utf8")) as FeatureCollection<Polygon | MultiPolygon, IssueProperties>
        ).features,
      }))
      .sort((a, b) => b.issues.length - a.issues.length);
    county = lists[0]!;

    browser = await chromium.launch({ executablePath: chromiumPath, args: ["--no-sandbox"] });
    context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
    // Every request any page of the context makes, whatever its scheme.
    context.on("request", (r) => requests.push(r.url()));
    await context.route("**/*", (route) => {
      requests.push(route.request().url());
      return route.continue();
    });
    page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(
      pathToFileURL(path.join(outDir, "review", county.prefecture, `${county.adcode}.html`)).href,
    );
    expect(errors).toEqual([]);
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
  });

  const rowIds = (p: Page, visibleOnly = false): Promise<string[]> =>
    p.$$eval(
      "#issue-rows tr",
      (trs, visible) => trs.filter((tr) => !visible || !tr.hidden).map((tr) => tr.getAttribute("data-id")!),
      visibleOnly,
    );
  const ids = (issues: readonly Issue[]): string[] => issues.map((i) => i.properties.id).sort();

  async function resetFilters(): Promise<void> {
    for (const id of ["#f-type", "#f-status", "#f-level"]) await page.selectOption(id, { index: 0 });
    await page.fill("#f-min-area", "");
  }

  it("shows every issue of the county's GeoJSON as one row, and the county name as text", async () => {
    expect(county.issues.length).toBeGreaterThan(1);
    expect((await rowIds(page)).sort()).toEqual(ids(county.issues));
    expect(await page.textContent("#shown-count")).toBe(String(county.issues.length));
    if (county.adcode === "150122") {
      expect(await page.textContent("#county-name")).toBe(EVIL_NAME);
      expect(await page.title()).toContain(EVIL_NAME);
    }
    expect(await page.evaluate("window.__pwned")).toBeUndefined();
    expect(await page.$$eval("header img, header script, #county-name *", (els) => els.length)).toBe(0);
  });

  it("the index lists the counties with their issue counts, the evil name escaped", async () => {
    const index = await context.newPage();
    await index.goto(pathToFileURL(path.join(outDir, "review", "index.html")).href);
    const rows = await index.$$eval("#counties tbody tr", (trs) =>
      trs.map((tr) => ({
        adcode: tr.getAttribute("data-adcode"),
        issues: Number(tr.querySelector(".issues")!.textContent),
        link: tr.querySelector("a")?.getAttribute("href") ?? null,
        text: tr.textContent,
      })),
    );
    const listed = rows.find((r) => r.adcode === county.adcode)!;
    expect(listed.issues).toBe(county.issues.length);
    expect(listed.link).toBe(`${county.prefecture}/${county.adcode}.html`);
    expect(rows.find((r) => r.adcode === "150122")?.text).toContain(EVIL_NAME);
    expect(await index.evaluate("window.__pwned")).toBeUndefined();
    await index.close();
  });

  it("filtering by change type, status, confidence level and minimum area leaves exactly the GeoJSON's matching issues", async () => {
    const types = [...new Set(county.issues.map((i) => i.properties.change_type))];
    expect(types.length).toBeGreaterThan(1); // so a type filter must hide something
    for (const type of types) {
      await page.selectOption("#f-type", type);
      const expected = county.issues.filter((i) => i.properties.change_type === type);
      expect((await rowIds(page, true)).sort(), type).toEqual(ids(expected));
      expect(await page.textContent("#shown-count")).toBe(String(expected.length));
      // The overlay shows the same patches.
      const shapes = await page.$$eval("#overlay .patch-link:not(.filtered-out)", (as) =>
        as.map((a) => a.getAttribute("data-id")!),
      );
      expect(shapes.sort()).toEqual(ids(expected));
    }
    await resetFilters();
    for (const [select, key] of [
      ["#f-status", "status"],
      ["#f-level", "confidence_level"],
    ] as const) {
      for (const value of new Set(county.issues.map((i) => i.properties[key]))) {
        await page.selectOption(select, value);
        const expected = county.issues.filter((i) => i.properties[key] === value);
        expect((await rowIds(page, true)).sort(), `${key}=${value}`).toEqual(ids(expected));
      }
      await page.selectOption(select, { index: 0 });
    }
    const areas = county.issues.map((i) => i.properties.area_m2).sort((a, b) => a - b);
    const min = areas[Math.floor(areas.length / 2)]!;
    await page.fill("#f-min-area", String(min));
    expect((await rowIds(page, true)).sort()).toEqual(
      ids(county.issues.filter((i) => i.properties.area_m2 >= min)),
    );
    // Filters combine.
    const type = types[0]!;
    await page.selectOption("#f-type", type);
    expect((await rowIds(page, true)).sort()).toEqual(
      ids(county.issues.filter((i) => i.properties.area_m2 >= min && i.properties.change_type === type)),
    );
    await resetFilters();
    expect((await rowIds(page, true)).length).toBe(county.issues.length);
  });

  it("clicking the area header sorts rows by area, ascending then descending", async () => {
    const area = new Map(county.issues.map((i) => [i.properties.id, i.properties.area_m2]));
    await page.click('th[data-sort="area"] button');
    const up = (await rowIds(page)).map((id) => area.get(id)!);
    expect(up).toEqual([...up].sort((a, b) => a - b));
    expect(await page.getAttribute('th[data-sort="area"]', "aria-sort")).toBe("ascending");
    await page.click('th[data-sort="area"] button');
    const down = (await rowIds(page)).map((id) => area.get(id)!);
    expect(down).toEqual([...down].sort((a, b) => b - a));
    expect(await page.getAttribute('th[data-sort="area"]', "aria-sort")).toBe("descending");
    expect(new Set(await rowIds(page))).toEqual(new Set(area.keys()));
  });

  it("draws one shape per issue over the after image, where the issue lies, each linked to its row", async () => {
    const shapes = await page.$$eval("#overlay .patch-link", (as) =>
      as.map((a) => {
        const b = (a.querySelector("path.patch") as unknown as { getBBox(): DOMRectLike }).getBBox();
        return { id: a.getAttribute("data-id")!, x: b.x, y: b.y, w: b.width, h: b.height };
      }),
    );
    expect(shapes.length).toBe(county.issues.length);
    expect(await page.$$eval("#overlay path.patch", (ps) => ps.length)).toBe(county.issues.length);
    expect(shapes.map((s) => s.id).sort()).toEqual(ids(county.issues));
    // The overlay lies exactly on the overview image, in its pixels.
    // (Browser-side code as a string: the project's TypeScript has no DOM types.)
    const geometry = (await page.evaluate(`(() => {
      const img = document.getElementById("overview");
      const svg = document.getElementById("overlay");
      const a = img.getBoundingClientRect();
      const b = svg.getBoundingClientRect();
      return {
        natural: [img.naturalWidth, img.naturalHeight],
        viewBox: [svg.viewBox.baseVal.width, svg.viewBox.baseVal.height],
        img: [a.x, a.y, a.width, a.height],
        svg: [b.x, b.y, b.width, b.height],
      };
    })()`)) as { natural: number[]; viewBox: number[]; img: number[]; svg: number[] };
    expect(geometry.viewBox).toEqual(geometry.natural);
    geometry.svg.forEach((v, i) => expect(v).toBeCloseTo(geometry.img[i]!, 0));
    // Positions: the offset between two patches on the overview equals their offset on the ground
    // (projected here with the issues' GeoJSON, at the demo's 4 m pixels; the overview is not
    // decimated, as its size shows).
    const pixel = Math.abs(demo.scene.affine.pixelWidth);
    expect(geometry.natural[0]).toBeLessThanOrEqual(2048);
    const toGrid = coordinateTransform("EPSG:4326", demo.scene.crs);
    const ground = new Map(
      county.issues.map((i) => {
        const pts = outerVertices(i).map(([lon, lat]) => toGrid.forward(lon!, lat!));
        return [
          i.properties.id,
          {
            minX: Math.min(...pts.map((p) => p.x)),
            maxX: Math.max(...pts.map((p) => p.x)),
            maxY: Math.max(...pts.map((p) => p.y)),
            minY: Math.min(...pts.map((p) => p.y)),
          },
        ];
      }),
    );
    const ref = shapes[0]!;
    const g0 = ground.get(ref.id)!;
    for (const s of shapes) {
      const g = ground.get(s.id)!;
      expect((s.x - ref.x) * pixel, s.id).toBeCloseTo(g.minX - g0.minX, 0);
      expect((s.y - ref.y) * pixel, s.id).toBeCloseTo(g0.maxY - g.maxY, 0);
      expect(s.w * pixel, s.id).toBeCloseTo(g.maxX - g.minX, 0);
      expect(s.h * pixel, s.id).toBeCloseTo(g.maxY - g.minY, 0);
    }
    // A click on a patch selects its row.
    const target = shapes[shapes.length - 1]!.id;
    await page.locator(`#overlay .patch-link[data-id="${target}"]`).dispatchEvent("click");
    expect(
      await page.$$eval("#issue-rows tr.selected", (trs) => trs.map((t) => t.getAttribute("data-id"))),
    ).toEqual([target]);
    expect(new URL(page.url()).hash).toBe(`#issue-${target}`);
  });

  it("loads every image (overview and each issue's chips) from the output folder", async () => {
    for (const img of await page.locator("img").all()) await img.scrollIntoViewIfNeeded();
    await page.waitForFunction("Array.from(document.images).every((i) => i.complete)", null, {
      timeout: 20_000,
    });
    const images = await page.$$eval("img", (imgs) =>
      imgs.map((i) => ({ src: i.src, width: i.naturalWidth })),
    );
    expect(images.length).toBe(1 + 2 * county.issues.length);
    for (const i of images) expect(i.width, i.src).toBeGreaterThan(0);
    const expected = county.issues.flatMap((i) => [i.properties.before_chip!, i.properties.after_chip!]);
    const chips = images.slice(1).map((i) => path.relative(outDir, fileURLToPath(i.src)));
    expect(chips.sort()).toEqual(expected.sort());
    const overview = fileURLToPath(images[0]!.src);
    expect(path.relative(outDir, overview)).toBe(
      path.join("review", county.prefecture, `${county.adcode}-overview.png`),
    );
  });

  it("makes no network request: every URL the page loaded is file: or data:", async () => {
    const loaded = new Set(requests);
    // The recorder saw the page's own loads...
    const page0 = pathToFileURL(path.join(outDir, "review", county.prefecture, `${county.adcode}.html`)).href;
    expect(loaded.has(page0)).toBe(true);
    expect([...loaded].filter((u) => u.endsWith(".png")).length).toBeGreaterThanOrEqual(
      1 + 2 * county.issues.length,
    );
    for (const url of loaded) expect(url, url).toMatch(/^(file|data):/);
    // ...and would have seen a network request (a control page that makes one).
    const control = await context.newPage();
    await control.setContent('<img src="http://127.0.0.1:9/never.png">');
    await control.waitForTimeout(200);
    await control.close();
    expect(requests).toContain("http://127.0.0.1:9/never.png");
  });

  it("takes a screenshot", async () => {
    await page.evaluate("window.scrollTo(0, 0)");
    const file = path.join(dir, "review-page.png");
    await page.screenshot({ path: file });
    expect(statSync(file).size).toBeGreaterThan(10_000);
    console.info(`review page screenshot: ${file}`);
  });
});
