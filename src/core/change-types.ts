/**
 * THE list of change types the patrol reports on cropland, with the land-cover classes that
 * signal each on the after image. Config, change rules, reports and the review page read it here.
 */
import type { LandCoverId } from "./land-cover.js";

export const CHANGE_TYPE_IDS = [
  "construction",
  "pond",
  "orchard",
  "trees",
  "turf",
  "facility",
  "abandonment",
] as const;

export type ChangeTypeId = (typeof CHANGE_TYPE_IDS)[number];

export interface ChangeType {
  readonly id: ChangeTypeId;
  readonly nameEn: string;
  readonly nameZh: string;
  /**
   * Land-cover classes on the after image that mean this change, when the baseline says cropland
   * and the before image agrees. Empty when the shipped model cannot see it (facility farmland
   * needs a greenhouse/shed class; abandonment needs a season of history).
   */
  readonly afterClasses: readonly LandCoverId[];
  /** Code stored in change rasters; 0 means no change. */
  readonly code: number;
}

export const CHANGE_TYPES: readonly ChangeType[] = [
  {
    id: "construction",
    nameEn: "Non-agricultural construction",
    nameZh: "非农建设",
    afterClasses: ["built_up", "bare_other"],
    code: 1,
  },
  {
    id: "pond",
    nameEn: "Pond or landscaping lake",
    nameZh: "挖塘养鱼/挖湖造景",
    afterClasses: ["pond", "water"],
    code: 2,
  },
  { id: "orchard", nameEn: "Orchard or nursery", nameZh: "林果苗木", afterClasses: ["orchard"], code: 3 },
  {
    id: "trees",
    nameEn: "Tree planting or green belt",
    nameZh: "绿化造林",
    afterClasses: ["trees"],
    code: 4,
  },
  { id: "turf", nameEn: "Turf", nameZh: "种植草皮", afterClasses: ["turf"], code: 5 },
  { id: "facility", nameEn: "Facility farmland", nameZh: "设施农业", afterClasses: [], code: 6 },
  { id: "abandonment", nameEn: "Abandonment", nameZh: "撂荒", afterClasses: [], code: 7 },
];

const byId = new Map(CHANGE_TYPES.map((t) => [t.id, t]));
const byCode = new Map(CHANGE_TYPES.map((t) => [t.code, t]));

export function changeType(id: ChangeTypeId): ChangeType {
  const t = byId.get(id);
  if (!t) throw new RangeError(`unknown change type ${id}`);
  return t;
}

export function changeTypeByCode(code: number): ChangeType | undefined {
  return byCode.get(code);
}
