import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { VectorLayerError } from "../../src/core/errors.js";
import { toBaselineLayer } from "../../src/ingest/baseline-layer.js";
import { loadCountyBoundaries, toCountyLayer } from "../../src/ingest/county-layer.js";
import { toExclusionLayer } from "../../src/ingest/exclusion-layer.js";
import { polygonsOf } from "../../src/ingest/vector-geometry.js";
import { loadVectorLayer, parseVectorLayer, reprojectLayer } from "../../src/ingest/vector-layer.js";
import { noSharedData, sharedData } from "../support/environment.js";

const square = (x0: number, y0: number, s: number): number[][] => [
  [x0, y0],
  [x0 + s, y0],
  [x0 + s, y0 + s],
  [x0, y0 + s],
  [x0, y0],
];

function fc(features: unknown[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ type: "FeatureCollection", ...extra, features });
}

function feature(geometry: unknown, properties: Record<string, unknown> | null = {}): unknown {
  return { type: "Feature", properties, geometry };
}

const poly = (props: Record<string, unknown> = {}): unknown =>
  feature({ type: "Polygon", coordinates: [square(110, 40, 1)] }, props);

/** Runs `fn`, expects a VectorLayerError, returns it. */
function vectorError(fn: () => unknown): VectorLayerError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(VectorLayerError);
    return e as VectorLayerError;
  }
  throw new Error("expected a VectorLayerError");
}

describe("parseVectorLayer validation", () => {
  it("accepts Polygon and MultiPolygon with holes, in RFC 7946 lon/lat by default", () => {
    const layer = parseVectorLayer(
      fc([
        feature({ type: "Polygon", coordinates: [square(110, 40, 1), square(110.2, 40.2, 0.2)] }, { a: 1 }),
        feature({
          type: "MultiPolygon",
          coordinates: [[square(112, 41, 1)], [square(114, 41, 1), square(114.1, 41.1, 0.1)]],
        }),
      ]),
      "mem.geojson",
    );
    expect(layer.crs).toBe("EPSG:4326");
    expect(layer.features).toHaveLength(2);
    expect(polygonsOf(layer.features[1]!.geometry)).toHaveLength(2);
    expect(layer.extent).toEqual({ minX: 110, minY: 40, maxX: 115, maxY: 42, crs: "EPSG:4326" });
    expect(layer.features[0]!.properties).toEqual({ a: 1 });
  });

  const cases: [string, string, RegExp, number | null][] = [
    ["not JSON", "{ nope", /is not JSON/, null],
    [
      "not a FeatureCollection",
      JSON.stringify({ type: "Feature", geometry: null }),
      /not a GeoJSON FeatureCollection.*"Feature"/,
      null,
    ],
    ["a JSON array", "[]", /not a GeoJSON FeatureCollection/, null],
    ["a feature that is not a Feature", fc([poly(), { type: "Polygon" }]), /is not a GeoJSON Feature/, 1],
    ["null geometry", fc([poly(), poly(), feature(null)]), /has no geometry/, 2],
    [
      "a Point",
      fc([feature({ type: "Point", coordinates: [1, 2] })]),
      /unsupported geometry type "Point"/,
      0,
    ],
    [
      "a LineString",
      fc([
        feature({
          type: "LineString",
          coordinates: [
            [1, 2],
            [3, 4],
          ],
        }),
      ]),
      /unsupported geometry type "LineString"/,
      0,
    ],
    [
      "a 3-position ring",
      fc([
        feature({
          type: "Polygon",
          coordinates: [
            [
              [0, 0],
              [1, 0],
              [0, 0],
            ],
          ],
        }),
      ]),
      /exterior ring of the polygon has 3 positions; a closed ring needs at least 4/,
      0,
    ],
    [
      "an unclosed ring",
      fc([
        poly(),
        feature({
          type: "Polygon",
          coordinates: [
            [
              [0, 0],
              [1, 0],
              [1, 1],
              [0, 1],
            ],
          ],
        }),
      ]),
      /exterior ring of the polygon is not closed/,
      1,
    ],
    [
      "an unclosed hole in a MultiPolygon",
      fc([
        feature({
          type: "MultiPolygon",
          coordinates: [
            [square(0, 0, 1)],
            [
              square(5, 5, 3),
              [
                [6, 6],
                [7, 6],
                [7, 7],
                [6, 7],
              ],
            ],
          ],
        }),
      ]),
      /hole 1 of polygon 1 is not closed/,
      0,
    ],
    [
      "a non-finite coordinate",
      fc([
        feature({
          type: "Polygon",
          coordinates: [
            [
              [0, 0],
              [1, "x"],
              [1, 1],
              [0, 0],
            ],
          ],
        }),
      ]),
      /position 1 of exterior ring of the polygon has a non-finite coordinate/,
      0,
    ],
    [
      "a null coordinate (what NaN becomes in JSON)",
      fc([
        feature({
          type: "Polygon",
          coordinates: [
            [
              [0, 0],
              [1, null],
              [1, 1],
              [0, 0],
            ],
          ],
        }),
      ]),
      /non-finite coordinate/,
      0,
    ],
    ["a polygon without rings", fc([feature({ type: "Polygon", coordinates: [] })]), /has no rings/, 0],
    [
      "an empty MultiPolygon",
      fc([feature({ type: "MultiPolygon", coordinates: [] })]),
      /MultiPolygon has no polygons/,
      0,
    ],
  ];
  for (const [what, text, message, index] of cases) {
    it(`rejects ${what}`, () => {
      const e = vectorError(() => parseVectorLayer(text, "bad.geojson"));
      expect(e.source).toBe("bad.geojson");
      expect(e.featureIndex).toBe(index);
      expect(e.message).toMatch(message);
      expect(e.message.startsWith(index === null ? "bad.geojson: " : `bad.geojson: feature ${index}: `)).toBe(
        true,
      );
      expect(e.name).toBe("VectorLayerError");
      expect(e.permanent).toBe(true);
    });
  }

  it("rejects a feature missing a required property", () => {
    const e = vectorError(() =>
      parseVectorLayer(fc([poly({ DLBM: "0101" }), poly({ DLBM: null })]), "b.geojson", {
        requiredProperties: ["DLBM"],
      }),
    );
    expect(e.featureIndex).toBe(1);
    expect(e.message).toMatch(/missing required property "DLBM"/);
  });

  it("reports a missing file as a VectorLayerError naming it", async () => {
    await expect(loadVectorLayer("/nonexistent/layer.geojson")).rejects.toMatchObject({
      name: "VectorLayerError",
      source: "/nonexistent/layer.geojson",
    });
  });
});

describe("layer CRS", () => {
  const inGk = feature({ type: "Polygon", coordinates: [square(39_500_000, 4_400_000, 1000)] });

  it("honours an old-style crs member (urn, EPSG:n, CRS84)", () => {
    const urn = { type: "name", properties: { name: "urn:ogc:def:crs:EPSG::4527" } };
    expect(parseVectorLayer(fc([inGk], { crs: urn }), "m").crs).toBe("EPSG:4527");
    const plain = { type: "name", properties: { name: "EPSG:4490" } };
    expect(parseVectorLayer(fc([poly()], { crs: plain }), "m").crs).toBe("EPSG:4490");
    const crs84 = { type: "name", properties: { name: "urn:ogc:def:crs:OGC:1.3:CRS84" } };
    expect(parseVectorLayer(fc([poly()], { crs: crs84 }), "m").crs).toBe("EPSG:4326");
  });

  it("lets an explicit option override the file", () => {
    const urn = { type: "name", properties: { name: "urn:ogc:def:crs:EPSG::4326" } };
    expect(parseVectorLayer(fc([inGk], { crs: urn }), "m", { crs: 4527 }).crs).toBe("EPSG:4527");
  });

  it("rejects an unknown or unreadable CRS", () => {
    const unknown = { type: "name", properties: { name: "urn:ogc:def:crs:EPSG::2385" } };
    expect(vectorError(() => parseVectorLayer(fc([poly()], { crs: unknown }), "m")).message).toMatch(
      /EPSG:2385/,
    );
    expect(vectorError(() => parseVectorLayer(fc([poly()]), "m", { crs: "EPSG:9" })).message).toMatch(
      /EPSG:9/,
    );
    const odd = { type: "link", properties: { href: "x" } };
    expect(vectorError(() => parseVectorLayer(fc([poly()], { crs: odd }), "m")).message).toMatch(
      /"crs" member/,
    );
  });

  it("refuses GCJ-02 conversion of a projected layer", () => {
    expect(vectorError(() => parseVectorLayer(fc([inGk]), "m", { crs: 4527, gcj02: true })).message).toMatch(
      /GCJ-02/,
    );
  });

  it("reprojects to a raster's CRS and back, keeping rings closed", () => {
    const layer = parseVectorLayer(
      fc([
        poly(),
        feature({ type: "Polygon", coordinates: [square(117.1, 40.1, 0.5), square(117.2, 40.2, 0.1)] }),
      ]),
      "m",
    );
    const gk = reprojectLayer(layer, "EPSG:4527");
    expect(gk.crs).toBe("EPSG:4527");
    const ring = polygonsOf(gk.features[1]!.geometry)[0]![0]!;
    expect(ring[0]).toEqual(ring[ring.length - 1]);
    expect(ring[0]![0]).toBeGreaterThan(39_000_000);
    expect(gk.extent!.crs).toBe("EPSG:4527");
    const back = reprojectLayer(gk, 4326);
    const a = polygonsOf(layer.features[1]!.geometry)[0]![1]!;
    const b = polygonsOf(back.features[1]!.geometry)[0]![1]!;
    a.forEach((p, i) => {
      expect(b[i]![0]).toBeCloseTo(p[0]!, 9);
      expect(b[i]![1]).toBeCloseTo(p[1]!, 9);
    });
    // The input layer is untouched.
    expect(polygonsOf(layer.features[1]!.geometry)[0]![0]![0]).toEqual([117.1, 40.1]);
  });
});

describe("typed layers", () => {
  it("reads the cropland baseline: DLBM class codes and the YJJBNT flag", () => {
    const raw = parseVectorLayer(
      fc([
        poly({ DLBM: "0101", YJJBNT: "1", TBBH: "12" }),
        poly({ DLBM: "0201k", YJJBNT: 0 }),
        poly({ DLBM: "0103", YJJBNT: "否" }),
      ]),
      "dltb.geojson",
    );
    const b = toBaselineLayer(raw);
    expect(b.features.map((f) => [f.properties.classCode, f.properties.pbf])).toEqual([
      ["0101", true],
      ["0201K", false],
      ["0103", false],
    ]);
    expect(b.features[0]!.properties.attributes.TBBH).toBe("12");
    const custom = toBaselineLayer(parseVectorLayer(fc([poly({ code: "0102", PBF: true })]), "x"), {
      classField: "code",
      pbfField: "PBF",
    });
    expect(custom.features[0]!.properties).toMatchObject({ classCode: "0102", pbf: true });
    const noFlag = toBaselineLayer(parseVectorLayer(fc([poly({ DLBM: "0103" })]), "x"), { pbfField: null });
    expect(noFlag.features[0]!.properties.pbf).toBe(false);
  });

  it("rejects bad baseline attributes with the feature and field named", () => {
    const numeric = vectorError(() =>
      toBaselineLayer(parseVectorLayer(fc([poly({ DLBM: 101, YJJBNT: 1 })]), "d")),
    );
    expect(numeric.message).toMatch(/"DLBM".*leading zeros/);
    const flag = vectorError(() =>
      toBaselineLayer(
        parseVectorLayer(
          fc([poly({ DLBM: "0101", YJJBNT: 1 }), poly({ DLBM: "0101", YJJBNT: "maybe" })]),
          "d",
        ),
      ),
    );
    expect(flag.featureIndex).toBe(1);
    expect(flag.message).toMatch(/"YJJBNT" must be a yes\/no flag/);
    const missing = vectorError(() => toBaselineLayer(parseVectorLayer(fc([poly({ DLBM: "0101" })]), "d")));
    expect(missing.message).toMatch(/missing required property "YJJBNT"/);
  });

  it("reads county properties and rejects duplicate or malformed adcodes", () => {
    const c = toCountyLayer(
      parseVectorLayer(
        fc([
          poly({ adcode: "150102", name: "新城区" }),
          poly({ adcode: 152921, name: "阿拉善左旗", parent_adcode: "152900" }),
        ]),
        "c",
      ),
    );
    expect(c.features.map((f) => f.properties)).toEqual([
      { adcode: "150102", name: "新城区", parentAdcode: null, prefectureAdcode: "150100" },
      { adcode: "152921", name: "阿拉善左旗", parentAdcode: "152900", prefectureAdcode: "152900" },
    ]);
    expect(
      vectorError(() => toCountyLayer(parseVectorLayer(fc([poly({ adcode: "15010", name: "x" })]), "c")))
        .message,
    ).toMatch(/6-digit/);
    const dup = vectorError(() =>
      toCountyLayer(
        parseVectorLayer(
          fc([poly({ adcode: "150102", name: "a" }), poly({ adcode: "150102", name: "b" })]),
          "c",
        ),
      ),
    );
    expect(dup.featureIndex).toBe(1);
    expect(dup.message).toMatch(/already belongs to feature 0/);
  });

  it("reads exclusion layers with a layer-wide or per-feature kind", () => {
    const raw = parseVectorLayer(fc([poly({ PZWH: "内政土发〔2023〕12号", k: "temporary-use" })]), "e");
    expect(
      toExclusionLayer(raw, { kind: "approved-construction", idField: "PZWH" }).features[0]!.properties,
    ).toMatchObject({
      kind: "approved-construction",
      id: "内政土发〔2023〕12号",
    });
    expect(toExclusionLayer(raw, { kindField: "k" }).features[0]!.properties.kind).toBe("temporary-use");
    expect(vectorError(() => toExclusionLayer(raw, {})).message).toMatch(/exactly one of/);
    expect(vectorError(() => toExclusionLayer(raw, { kind: "roads" as never })).message).toMatch(
      /not one of/,
    );
    expect(vectorError(() => toExclusionLayer(raw, { kindField: "PZWH" })).message).toMatch(
      /"PZWH" must be one of/,
    );
  });
});

describe.skipIf(noSharedData())("real county boundaries (../shared/data/counties)", () => {
  const tmp = mkdtempSync(path.join(tmpdir(), "vector-layer-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("loads the 103 Inner Mongolia counties", async () => {
    const layer = await loadCountyBoundaries(sharedData("counties", "inner-mongolia-counties.geojson"));
    expect(layer.features).toHaveLength(103);
    expect(layer.crs).toBe("EPSG:4326");
    expect(new Set(layer.features.map((f) => f.properties.adcode)).size).toBe(103);
    expect(layer.features.every((f) => f.properties.adcode.startsWith("15"))).toBe(true);
    expect(new Set(layer.features.map((f) => f.properties.prefectureAdcode)).size).toBe(12);
    const e = layer.extent!;
    expect(e.minX).toBeCloseTo(97.172763, 6);
    expect(e.maxY).toBeCloseTo(53.337178, 6);
  });

  it("loads the prefectures and the Taizhou/Beihai/Hong Kong counties", async () => {
    const pref = await loadCountyBoundaries(sharedData("counties", "inner-mongolia-prefectures.geojson"));
    expect(pref.features).toHaveLength(12);
    const other = await loadCountyBoundaries(
      sharedData("counties", "taizhou-beihai-hongkong-counties.geojson"),
    );
    expect(other.features).toHaveLength(28);
  });

  it("GCJ-02 conversion moves the boundaries by hundreds of metres", async () => {
    const file = sharedData("counties", "inner-mongolia-counties.geojson");
    const asIs = await loadCountyBoundaries(file);
    const fixed = await loadCountyBoundaries(file, { gcj02: true });
    const shifts: number[] = [];
    asIs.features.forEach((f, i) => {
      const a = polygonsOf(f.geometry)[0]![0]!;
      const b = polygonsOf(fixed.features[i]!.geometry)[0]![0]!;
      for (let k = 0; k < a.length; k += 25) {
        const dx = (a[k]![0]! - b[k]![0]!) * 111_320 * Math.cos((a[k]![1]! * Math.PI) / 180);
        const dy = (a[k]![1]! - b[k]![1]!) * 111_320;
        shifts.push(Math.hypot(dx, dy));
      }
      const ring = polygonsOf(fixed.features[i]!.geometry)[0]!;
      expect(ring[0]).toEqual(ring[ring.length - 1]);
    });
    shifts.sort((x, y) => x - y);
    expect(shifts[0]!).toBeGreaterThan(100);
    expect(shifts[shifts.length - 1]!).toBeLessThan(1000);
    expect(shifts[Math.floor(shifts.length / 2)]!).toBeGreaterThan(200);
  });

  it("reports a corrupted copy with the file and feature index", async () => {
    const text = await import("node:fs/promises").then((fs) =>
      fs.readFile(sharedData("counties", "inner-mongolia-counties.geojson"), "utf8"),
    );
    const doc = JSON.parse(text) as { features: { geometry: { coordinates: number[][][][] } }[] };
    const ring = doc.features[57]!.geometry.coordinates[0]![0]!;
    ring.pop(); // unclose the ring
    const file = path.join(tmp, "broken.geojson");
    writeFileSync(file, JSON.stringify(doc));
    await expect(loadCountyBoundaries(file)).rejects.toMatchObject({
      name: "VectorLayerError",
      source: file,
      featureIndex: 57,
      message: expect.stringMatching(/feature 57: exterior ring of polygon 0 is not closed/),
    });
  });
});
