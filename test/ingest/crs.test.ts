import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { UnknownCrsError } from "../../src/core/errors.js";
import {
  coordinateTransform,
  crsDefinition,
  isGeographic,
  registerCrs,
  unregisterCrs,
} from "../../src/ingest/crs.js";
import { noTools } from "../support/environment.js";
import { seededRandom } from "./seeded-random.js";

/** Runs cs2cs on many lines at once; returns one [a, b] pair per input line (cs2cs's own axis order). */
function cs2cs(args: string[], lines: string[]): Promise<[number, number][]> {
  return new Promise((resolve, reject) => {
    const child = spawn("cs2cs", ["-d", "10", ...args]);
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`cs2cs ${args.join(" ")} exited ${code}: ${err}`));
      const rows = out
        .trim()
        .split("\n")
        .map((l) => l.trim().split(/\s+/).map(Number) as [number, number]);
      resolve(rows);
    });
    child.stdin.end(lines.join("\n") + "\n");
  });
}

interface CrsCase {
  /** Projected (or target) CRS. */
  crs: string;
  /** Its geographic base, which cs2cs reads latitude first. */
  geographic: string;
  /** Area of use sampled: longitude and latitude ranges in degrees. */
  lon: [number, number];
  lat: [number, number];
  /** cs2cs writes this CRS northing first (EPSG authority order). */
  northingFirst: boolean;
}

function cases(): CrsCase[] {
  const out: CrsCase[] = [];
  for (let zone = 1; zone <= 60; zone++) {
    const cm = -183 + zone * 6;
    out.push({
      crs: `EPSG:${32600 + zone}`,
      geographic: "EPSG:4326",
      lon: [cm - 3, cm + 3],
      lat: [0, 84],
      northingFirst: false,
    });
    out.push({
      crs: `EPSG:${32700 + zone}`,
      geographic: "EPSG:4326",
      lon: [cm - 3, cm + 3],
      lat: [-80, 0],
      northingFirst: false,
    });
  }
  for (let zone = 1; zone <= 23; zone++) {
    const cm = -183 + zone * 6;
    out.push({
      crs: `EPSG:${26900 + zone}`,
      geographic: "EPSG:4269",
      lon: [cm - 3, cm + 3],
      lat: [15, 84],
      northingFirst: false,
    });
  }
  for (let zone = 25; zone <= 45; zone++) {
    const cm = zone * 3;
    const range = { lon: [cm - 1.5, cm + 1.5] as [number, number], lat: [18, 53.5] as [number, number] };
    out.push({ crs: `EPSG:${4513 + zone - 25}`, geographic: "EPSG:4490", ...range, northingFirst: true });
    out.push({ crs: `EPSG:${4534 + zone - 25}`, geographic: "EPSG:4490", ...range, northingFirst: true });
  }
  out.push({
    crs: "EPSG:3857",
    geographic: "EPSG:4326",
    lon: [-180, 180],
    lat: [-85, 85],
    northingFirst: false,
  });
  return out;
}

/** Metres per degree, for turning angular differences into distances. */
const M_PER_DEG = 111_320;

describe.skipIf(noTools("cs2cs"))("coordinateTransform agrees with PROJ cs2cs to 1 mm", () => {
  const all = cases();
  const POINTS = 12;

  // Forward for every zone; inverse for every fifth CRS (each cs2cs start costs ~40 ms).
  it(`forward over ${all.length} CRSs, ${POINTS} seeded points each, and inverse over a fifth of them`, async () => {
    const rand = seededRandom(20240601);
    const jobs = all.map((c) => {
      const pts = Array.from({ length: POINTS }, () => ({
        lon: c.lon[0] + rand() * (c.lon[1] - c.lon[0]),
        lat: c.lat[0] + rand() * (c.lat[1] - c.lat[0]),
      }));
      return { c, pts, checkInverse: false };
    });
    jobs.forEach((j, i) => (j.checkInverse = i % 5 === 0 || j.c.crs === "EPSG:3857"));
    // Two cs2cs processes at a time: the machine has two cores.
    const failures: string[] = [];
    let worst = 0;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < jobs.length) {
        const { c, pts, checkInverse } = jobs[next++]!;
        const t = coordinateTransform(c.geographic, c.crs);
        const fwd = await cs2cs(
          [c.geographic, c.crs],
          pts.map((p) => `${p.lat} ${p.lon}`),
        );
        const projected = fwd.map(([a, b]) => (c.northingFirst ? { x: b, y: a } : { x: a, y: b }));
        const inv = checkInverse
          ? await cs2cs(
              [c.crs, c.geographic],
              projected.map((p) => (c.northingFirst ? `${p.y} ${p.x}` : `${p.x} ${p.y}`)),
            )
          : null;
        pts.forEach((p, i) => {
          const ours = t.forward(p.lon, p.lat);
          const ref = projected[i]!;
          const d = Math.hypot(ours.x - ref.x, ours.y - ref.y);
          worst = Math.max(worst, d);
          if (!(d < 0.001)) failures.push(`${c.crs} forward (${p.lon}, ${p.lat}): off by ${d} m`);
          if (!inv) return;
          const back = t.inverse(ref.x, ref.y);
          const [refLat, refLon] = inv[i]!;
          const dd =
            Math.hypot((back.x - refLon) * Math.cos((refLat * Math.PI) / 180), back.y - refLat) * M_PER_DEG;
          worst = Math.max(worst, dd);
          if (!(dd < 0.001)) failures.push(`${c.crs} inverse (${ref.x}, ${ref.y}): off by ${dd} m`);
        });
      }
    };
    await Promise.all([worker(), worker()]);
    expect(failures).toEqual([]);
    expect(worst).toBeLessThan(0.001);
  });

  it("WGS 84 to CGCS2000 geographic is the identity to 1 mm, as in PROJ", async () => {
    const rand = seededRandom(7);
    const pts = Array.from({ length: 20 }, () => ({ lon: 73 + rand() * 62, lat: 18 + rand() * 35 }));
    const ref = await cs2cs(
      ["EPSG:4326", "EPSG:4490"],
      pts.map((p) => `${p.lat} ${p.lon}`),
    );
    const t = coordinateTransform(4326, "epsg:4490");
    pts.forEach((p, i) => {
      const ours = t.forward(p.lon, p.lat);
      const [lat, lon] = ref[i]!;
      expect(Math.hypot(ours.x - lon, ours.y - lat) * M_PER_DEG).toBeLessThan(0.001);
    });
  });
});

describe("CRS registry", () => {
  it("names the code of an unknown CRS", () => {
    expect(() => crsDefinition("EPSG:2385")).toThrow(UnknownCrsError);
    try {
      coordinateTransform("EPSG:4326", 2385);
    } catch (e) {
      expect(e).toBeInstanceOf(UnknownCrsError);
      expect((e as UnknownCrsError).crs).toBe("EPSG:2385");
      expect((e as UnknownCrsError).name).toBe("UnknownCrsError");
    }
  });

  it("accepts a user proj4 definition and uses it", () => {
    // Xian 1980 / 3-degree Gauss-Kruger CM 117E, with a made-up datum shift for the test.
    const def =
      "+proj=tmerc +lat_0=0 +lon_0=117 +k=1 +x_0=500000 +y_0=0 +a=6378140 +b=6356755.288157528 +units=m +no_defs";
    registerCrs("epsg:2385", def);
    try {
      expect(crsDefinition(2385)).toBe(def);
      const p = coordinateTransform("EPSG:2385", "EPSG:2385");
      expect(p.isIdentity).toBe(true);
      const t = coordinateTransform("EPSG:4326", "EPSG:2385");
      const q = t.forward(117, 40);
      expect(q.x).toBeCloseTo(500000, 3);
      expect(q.y).toBeGreaterThan(4_400_000);
      const back = t.inverse(q.x, q.y);
      expect(back.x).toBeCloseTo(117, 9);
      expect(back.y).toBeCloseTo(40, 9);
    } finally {
      unregisterCrs(2385);
    }
    expect(() => crsDefinition(2385)).toThrow(UnknownCrsError);
  });

  it("rejects a definition that does not parse or does not transform", () => {
    for (const bad of ["garbage", "+proj=nonsense +ellps=GRS80", "+proj=tmerc +lon_0=abc +ellps=GRS80", ""]) {
      expect(() => registerCrs("EPSG:99999", bad), bad).toThrow(UnknownCrsError);
    }
    expect(() => crsDefinition("EPSG:99999")).toThrow(UnknownCrsError);
  });

  it("knows which built-ins are geographic", () => {
    expect(isGeographic(4326)).toBe(true);
    expect(isGeographic("EPSG:4490")).toBe(true);
    expect(isGeographic("EPSG:4527")).toBe(false);
    expect(isGeographic("EPSG:32650")).toBe(false);
  });

  it("puts the zone number in front of the false easting only for 4513–4533", () => {
    expect(coordinateTransform(4490, 4527).forward(117, 40).x).toBeCloseTo(39_500_000, 3);
    expect(coordinateTransform(4490, 4548).forward(117, 40).x).toBeCloseTo(500_000, 3);
  });
});
