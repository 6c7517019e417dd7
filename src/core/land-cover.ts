/**
 * THE land-cover class list. The classifier's outputs, the model cards, the change rules and the
 * reports all read it from here; nothing else defines class codes, names or colours.
 *
 * Codes are small integers stored in class-map rasters (uint8). They are stable: a code is never
 * reused for another meaning, because class maps written by earlier runs must stay readable.
 */

/** Identifiers of the land-cover classes, in code order. */
export const LAND_COVER_IDS = [
  "nodata",
  "cropland",
  "orchard",
  "trees",
  "grass",
  "turf",
  "water",
  "pond",
  "built_up",
  "bare_other",
] as const;

export type LandCoverId = (typeof LAND_COVER_IDS)[number];

/** RGB display colour, 0–255 per channel. */
export interface DisplayColour {
  readonly r: number;
  readonly g: number;
  readonly b: number;
}

export interface LandCoverClass {
  readonly id: LandCoverId;
  /** The value stored in class-map rasters. 0 is nodata. */
  readonly code: number;
  readonly nameEn: string;
  readonly nameZh: string;
  /** GB/T 21010-2017 codes (first- or second-level) the class corresponds to. */
  readonly gbt21010: readonly string[];
  readonly colour: DisplayColour;
  /**
   * True when the class counts as "cropland-like" for change detection: seen on cropland, it
   * means the land is still farmed. Only cropland itself; orchards and turf on cropland are
   * changes the patrol must report.
   */
  readonly croplandLike: boolean;
  /** Whether this class is a change the patrol reports when it appears on baseline cropland. */
  readonly changeOnCropland: boolean;
  /** The grouped class it falls in for the accuracy goal, or null (nodata). */
  readonly group: LandCoverGroupId | null;
}

/**
 * Grouped classes for the accuracy goal, following GID's own two-level hierarchy (Tong et al.
 * 2020, table 1): its five first-level classes are built-up, farmland, forest (garden plot,
 * arbor woodland, shrub land), meadow (natural and artificial grassland) and water (river, lake,
 * pond). The GID-5 farmland tiles are labelled only at this level.
 */
export const LAND_COVER_GROUP_IDS = ["built_up", "cropland", "trees", "grass", "water", "other"] as const;
export type LandCoverGroupId = (typeof LAND_COVER_GROUP_IDS)[number];

export interface LandCoverGroup {
  readonly id: LandCoverGroupId;
  readonly nameEn: string;
  readonly nameZh: string;
  readonly members: readonly LandCoverId[];
}

export const LAND_COVER_GROUPS: readonly LandCoverGroup[] = [
  { id: "built_up", nameEn: "Built-up", nameZh: "建设用地", members: ["built_up"] },
  { id: "cropland", nameEn: "Cropland", nameZh: "耕地", members: ["cropland"] },
  { id: "trees", nameEn: "Trees and orchards", nameZh: "林地与园地", members: ["orchard", "trees"] },
  { id: "grass", nameEn: "Grass and turf", nameZh: "草地", members: ["grass", "turf"] },
  { id: "water", nameEn: "Water and ponds", nameZh: "水域", members: ["water", "pond"] },
  { id: "other", nameEn: "Bare and other", nameZh: "其他土地", members: ["bare_other"] },
];

export const LAND_COVER_CLASSES: readonly LandCoverClass[] = [
  {
    id: "nodata",
    code: 0,
    nameEn: "No data",
    nameZh: "无数据",
    gbt21010: [],
    colour: { r: 0, g: 0, b: 0 },
    croplandLike: false,
    changeOnCropland: false,
    group: null,
  },
  {
    id: "cropland",
    code: 1,
    nameEn: "Cropland",
    nameZh: "耕地",
    gbt21010: ["0101", "0102", "0103"],
    colour: { r: 240, g: 220, b: 100 },
    croplandLike: true,
    changeOnCropland: false,
    group: "cropland",
  },
  {
    id: "orchard",
    code: 2,
    nameEn: "Garden / orchard",
    nameZh: "园地",
    gbt21010: ["0201", "0202", "0203", "0204"],
    colour: { r: 200, g: 130, b: 200 },
    croplandLike: false,
    changeOnCropland: true,
    group: "trees",
  },
  {
    id: "trees",
    code: 3,
    nameEn: "Trees (forest, shrub)",
    nameZh: "林地",
    gbt21010: ["0301", "0302", "0305", "0307"],
    colour: { r: 30, g: 120, b: 40 },
    croplandLike: false,
    changeOnCropland: true,
    group: "trees",
  },
  {
    id: "grass",
    code: 4,
    nameEn: "Grass",
    nameZh: "草地",
    gbt21010: ["0401", "0403", "0404"],
    colour: { r: 150, g: 210, b: 110 },
    croplandLike: false,
    changeOnCropland: false,
    group: "grass",
  },
  {
    id: "turf",
    code: 5,
    nameEn: "Turf / artificial grass",
    nameZh: "人工牧草地与草皮",
    gbt21010: ["0402"],
    colour: { r: 90, g: 230, b: 170 },
    croplandLike: false,
    changeOnCropland: true,
    group: "grass",
  },
  {
    id: "water",
    code: 6,
    nameEn: "River / lake water",
    nameZh: "河流湖泊水面",
    gbt21010: ["1101", "1102", "1103"],
    colour: { r: 40, g: 90, b: 220 },
    croplandLike: false,
    changeOnCropland: true,
    group: "water",
  },
  {
    id: "pond",
    code: 7,
    nameEn: "Pond",
    nameZh: "坑塘水面",
    gbt21010: ["1104"],
    colour: { r: 80, g: 200, b: 230 },
    croplandLike: false,
    changeOnCropland: true,
    group: "water",
  },
  {
    id: "built_up",
    code: 8,
    nameEn: "Built-up (residential, industrial, roads)",
    nameZh: "建设用地（住宅、工矿、交通）",
    gbt21010: ["05", "06", "07", "08", "09", "10"],
    colour: { r: 220, g: 40, b: 40 },
    croplandLike: false,
    changeOnCropland: true,
    group: "built_up",
  },
  {
    id: "bare_other",
    code: 9,
    nameEn: "Bare / other",
    nameZh: "其他土地（裸地等）",
    gbt21010: ["12"],
    colour: { r: 170, g: 150, b: 130 },
    croplandLike: false,
    changeOnCropland: true,
    group: "other",
  },
];

/** The nodata code in class maps. */
export const NODATA_CLASS_CODE = 0;

const byId = new Map(LAND_COVER_CLASSES.map((c) => [c.id, c]));
const byCode = new Map(LAND_COVER_CLASSES.map((c) => [c.code, c]));

export function landCoverClass(id: LandCoverId): LandCoverClass {
  const c = byId.get(id);
  if (!c) throw new RangeError(`unknown land-cover id ${id}`);
  return c;
}

/** The class with `code`, or undefined when no class has it. */
export function landCoverByCode(code: number): LandCoverClass | undefined {
  return byCode.get(code);
}

export function isLandCoverId(s: string): s is LandCoverId {
  return (LAND_COVER_IDS as readonly string[]).includes(s);
}

/** The grouped class of a land-cover id, or null for nodata. */
export function landCoverGroupOf(id: LandCoverId): LandCoverGroupId | null {
  return landCoverClass(id).group;
}

/**
 * A source label's meaning: the land-cover classes it may be (one for a fine label, several for a
 * coarse one such as GID-5 "forest", which covers orchards and trees), or "ignore" for unlabelled.
 * Training uses the whole set (the loss rewards probability on any member); evaluation uses the
 * grouped class, which every set lies within.
 */
export type LabelMeaning = readonly LandCoverId[] | "ignore";

/** GID-15 label values (Tong et al. 2020) to land-cover classes. 15 is unlabelled. */
export const GID15_MAPPING: ReadonlyMap<number, LabelMeaning> = new Map<number, LabelMeaning>([
  [0, ["built_up"]], // industrial land
  [1, ["built_up"]], // urban residential
  [2, ["built_up"]], // rural residential
  [3, ["built_up"]], // traffic land
  [4, ["cropland"]], // paddy field
  [5, ["cropland"]], // irrigated land
  [6, ["cropland"]], // dry cropland
  [7, ["orchard"]], // garden plot
  [8, ["trees"]], // arbor woodland
  [9, ["trees"]], // shrub land
  [10, ["grass"]], // natural grassland
  [11, ["turf"]], // artificial grassland
  [12, ["water"]], // river
  [13, ["water"]], // lake
  [14, ["pond"]], // pond
  [15, "ignore"],
]);

/**
 * GID-5 label values to land-cover classes. GID's first-level classes are coarser than ours:
 * forest includes garden plots, meadow includes artificial grassland and water includes ponds, so
 * those labels mean "one of" the fine classes. The first member is the class named in the issue
 * (forest → trees, meadow → grass, water → water). 5 is unlabelled.
 */
export const GID5_MAPPING: ReadonlyMap<number, LabelMeaning> = new Map<number, LabelMeaning>([
  [0, ["built_up"]],
  [1, ["cropland"]],
  [2, ["trees", "orchard"]],
  [3, ["grass", "turf"]],
  [4, ["water", "pond"]],
  [5, "ignore"],
]);

/** The grouped class every member of a label meaning lies in (null for "ignore"). */
export function labelMeaningGroup(meaning: LabelMeaning): LandCoverGroupId | null {
  if (meaning === "ignore") return null;
  const groups = new Set(meaning.map(landCoverGroupOf));
  if (groups.size !== 1) throw new RangeError(`label meaning ${meaning.join("/")} spans several groups`);
  const [g] = groups;
  return g ?? null;
}
