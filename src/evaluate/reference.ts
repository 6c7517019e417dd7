/**
 * Reference change data on a run's grid: change polygons (GeoJSON, each feature one object, with
 * an optional change-type property) or a change raster (each 8-connected region of change pixels
 * one object, untyped), e.g. OSCD's `_cm.tif` (1 no change, 2 change) or a SZTAKI `gt.png`
 * converted to GeoTIFF (0 no change, 255 change).
 */
import { CHANGE_TYPE_IDS } from "../core/change-types.js";
import { normaliseCrsCode } from "../ingest/crs.js";
import { openRaster } from "../ingest/raster-source.js";
import { rasterizeLayer, type RasterGrid } from "../ingest/rasterize.js";
import { loadVectorLayer } from "../ingest/vector-layer.js";
import { forEachSpan } from "../vector/polygon-spans.js";
import { polygonizePixels } from "../vector/polygonize.js";
import { EvaluationInputError } from "./errors.js";
import { centrePixelAreaM2 } from "./grid-area.js";
import type { LabelledObjects, ObjectInfo } from "./labelled-objects.js";

export interface ReferenceOptions {
  /** Polygons: property holding the change type (values as `change_type` of issues). Default "change_type". */
  readonly typeField?: string;
  /** Polygons: property holding an object id. Default: the feature's index. */
  readonly idField?: string;
  /** Polygons: CRS of the coordinates when the file has no `crs` member and is not lon/lat. */
  readonly crs?: string | number;
  /** Raster: values meaning "change". Default: the highest value present. */
  readonly changeValues?: readonly number[];
  /** Raster: values meaning "unlabelled" (left out of the evaluation). Default: the raster's nodata. */
  readonly ignoreValues?: readonly number[];
}

const isVectorFile = (file: string): boolean => /\.(geo)?json$/i.test(file);

/** Loads reference change data (GeoJSON polygons or a GeoTIFF change raster) onto `grid`. */
export async function loadReference(
  file: string,
  grid: RasterGrid,
  options: ReferenceOptions = {},
): Promise<LabelledObjects> {
  return isVectorFile(file) ? referencePolygons(file, grid, options) : referenceRaster(file, grid, options);
}

async function referencePolygons(
  file: string,
  grid: RasterGrid,
  options: ReferenceOptions,
): Promise<LabelledObjects> {
  const layer = await loadVectorLayer(file, options.crs !== undefined ? { crs: options.crs } : {});
  const typeField = options.typeField ?? "change_type";
  const objects: ObjectInfo[] = layer.features.map((f) => {
    const raw = f.properties[typeField];
    if (raw !== undefined && raw !== null && !(CHANGE_TYPE_IDS as readonly unknown[]).includes(raw))
      throw new EvaluationInputError(
        file,
        `feature ${f.index}: ${typeField} ${JSON.stringify(raw)} is not one of ${CHANGE_TYPE_IDS.join(", ")}`,
      );
    const id = options.idField !== undefined ? f.properties[options.idField] : undefined;
    return {
      id: id === undefined || id === null ? `feature-${f.index}` : String(id),
      changeType: typeof raw === "string" ? raw : null,
      areaM2: 0,
    };
  });
  const labels = rasterizeLayer(layer, grid, { burn: (f) => f.index + 1, sampleType: "int32" }) as Int32Array;
  const counts = new Float64Array(objects.length);
  for (let i = 0; i < labels.length; i++) if (labels[i]! > 0) counts[labels[i]! - 1]!++;
  const pixelArea = centrePixelAreaM2(grid);
  return {
    width: grid.width,
    height: grid.height,
    labels,
    objects: objects.map((o, i) => ({ ...o, areaM2: counts[i]! * pixelArea })),
    ignore: null,
  };
}

/** Largest misalignment accepted between the reference's and the run's pixels, in pixels. */
const GRID_TOLERANCE = 0.01;

async function referenceRaster(
  file: string,
  grid: RasterGrid,
  options: ReferenceOptions,
): Promise<LabelledObjects> {
  const raster = await openRaster(file);
  try {
    if (raster.crs === null)
      throw new EvaluationInputError(
        file,
        "the reference raster is not georeferenced; give it the run's grid (gdal_translate -a_srs -a_ullr)",
      );
    if (normaliseCrsCode(raster.crs) !== normaliseCrsCode(grid.crs))
      throw new EvaluationInputError(file, `the reference is in ${raster.crs}, the run in ${grid.crs}`);
    const a = raster.affine;
    const g = grid.affine;
    // Pixel sizes may differ in the last digits (OSCD's change maps and images do, by 2e-6 of a
    // pixel); what matters is that the drift across the whole raster stays a small part of a pixel.
    const span = Math.max(raster.width, raster.height, grid.width, grid.height);
    const same = (x: number, y: number): boolean => Math.abs(x - y) * span <= GRID_TOLERANCE * Math.abs(y);
    if (!same(a.pixelWidth, g.pixelWidth) || !same(a.pixelHeight, g.pixelHeight))
      throw new EvaluationInputError(
        file,
        `reference pixels are ${a.pixelWidth} × ${a.pixelHeight}, the run's ${g.pixelWidth} × ${g.pixelHeight}; resample it onto the run's grid first`,
      );
    const dx = (a.originX - g.originX) / g.pixelWidth;
    const dy = (a.originY - g.originY) / g.pixelHeight;
    if (Math.abs(dx - Math.round(dx)) > GRID_TOLERANCE || Math.abs(dy - Math.round(dy)) > GRID_TOLERANCE)
      throw new EvaluationInputError(file, "the reference's pixels are not on the run's pixel lattice");
    const ox = Math.round(dx);
    const oy = Math.round(dy);
    // The part of the run's grid the reference covers.
    const x0 = Math.max(0, ox);
    const y0 = Math.max(0, oy);
    const x1 = Math.min(grid.width, ox + raster.width);
    const y1 = Math.min(grid.height, oy + raster.height);
    if (x1 <= x0 || y1 <= y0) throw new EvaluationInputError(file, "the reference does not overlap the run");
    const block = await raster.read({ x0: x0 - ox, y0: y0 - oy, x1: x1 - ox, y1: y1 - oy }, { bands: [0] });
    const values = block.bands[0]!;
    let max = -Infinity;
    for (let i = 0; i < values.length; i++) if (values[i]! > max) max = values[i]!;
    const change = new Set(options.changeValues ?? [max]);
    const ignored = new Set(options.ignoreValues ?? (raster.nodata !== null ? [raster.nodata] : []));
    const bw = x1 - x0;
    const binary = new Uint8Array(grid.width * grid.height);
    const ignore = new Uint8Array(grid.width * grid.height).fill(1);
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        const v = values[(y - y0) * bw + (x - x0)]!;
        const i = y * grid.width + x;
        if (ignored.has(v)) continue;
        ignore[i] = 0;
        if (change.has(v)) binary[i] = 1;
      }
    }
    const labels = new Int32Array(binary.length);
    const polygons = polygonizePixels(binary, grid.width, grid.height, { connectivity: 8, values: [1] });
    // Region ids count every region the tracer saw; number the change regions 1, 2, … instead.
    const number = new Map<number, number>();
    for (const p of polygons) {
      if (p.value !== 1) continue;
      const k = number.get(p.region) ?? number.size + 1;
      number.set(p.region, k);
      forEachSpan(p, (y, sx0, sx1) => labels.fill(k, y * grid.width + sx0, y * grid.width + sx1));
    }
    const regions = number.size;
    const counts = new Float64Array(regions);
    for (let i = 0; i < labels.length; i++) if (labels[i]! > 0) counts[labels[i]! - 1]!++;
    const pixelArea = centrePixelAreaM2(grid);
    return {
      width: grid.width,
      height: grid.height,
      labels,
      objects: Array.from(counts, (c, k) => ({
        id: `region-${k + 1}`,
        changeType: null,
        areaM2: c * pixelArea,
      })),
      ignore,
    };
  } finally {
    await raster.close();
  }
}
