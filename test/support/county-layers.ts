/** Reading a run's per-county layers (`<root>/<prefecture>/<county><suffix>`) back in tests. */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { Feature, FeatureCollection } from "geojson";

/**
 * Every feature of every county file under `root` whose name ends with `suffix`. A missing
 * `root` throws, unless `allowMissing` (a run with no issues writes no issues folder).
 */
export function readCountyLayers<F = Feature>(
  root: string,
  suffix: string,
  options: { allowMissing?: boolean } = {},
): F[] {
  if (options.allowMissing && !existsSync(root)) return [];
  const out: F[] = [];
  for (const pref of readdirSync(root))
    for (const f of readdirSync(path.join(root, pref)))
      if (f.endsWith(suffix))
        out.push(
          ...((JSON.parse(readFileSync(path.join(root, pref, f), "utf8")) as FeatureCollection)
            .features as F[]),
        );
  return out;
}
