import { describe, expect, it } from "vitest";
import {
  GID15_MAPPING,
  GID5_MAPPING,
  LAND_COVER_CLASSES,
  LAND_COVER_GROUPS,
  LAND_COVER_IDS,
  labelMeaningGroup,
  landCoverByCode,
  landCoverClass,
} from "../../src/core/land-cover.js";

describe("land-cover class list", () => {
  it("has one entry per id, unique codes in id order, nodata at 0", () => {
    expect(LAND_COVER_CLASSES.map((c) => c.id)).toEqual([...LAND_COVER_IDS]);
    expect(LAND_COVER_CLASSES.map((c) => c.code)).toEqual(LAND_COVER_IDS.map((_, i) => i));
    expect(landCoverByCode(0)?.id).toBe("nodata");
    expect(landCoverByCode(8)?.id).toBe("built_up");
    expect(landCoverByCode(99)).toBeUndefined();
  });

  it("puts every class except nodata in exactly the group that lists it", () => {
    for (const c of LAND_COVER_CLASSES) {
      const listing = LAND_COVER_GROUPS.filter((g) => g.members.includes(c.id));
      if (c.id === "nodata") {
        expect(listing).toHaveLength(0);
        expect(c.group).toBeNull();
      } else {
        expect(listing.map((g) => g.id)).toEqual([c.group]);
      }
    }
  });

  it("marks only cropland as cropland-like, and the patrol's change types as changes", () => {
    expect(LAND_COVER_CLASSES.filter((c) => c.croplandLike).map((c) => c.id)).toEqual(["cropland"]);
    for (const id of ["orchard", "trees", "turf", "pond", "built_up", "bare_other"] as const) {
      expect(landCoverClass(id).changeOnCropland).toBe(true);
    }
    expect(landCoverClass("cropland").gbt21010).toEqual(["0101", "0102", "0103"]);
    expect(landCoverClass("pond").gbt21010).toEqual(["1104"]);
  });

  it("maps every GID-15 and GID-5 label value, each within one group", () => {
    expect([...GID15_MAPPING.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: 16 }, (_, i) => i));
    expect([...GID5_MAPPING.keys()].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(GID15_MAPPING.get(15)).toBe("ignore");
    expect(GID5_MAPPING.get(5)).toBe("ignore");
    for (const v of [4, 5, 6]) expect(GID15_MAPPING.get(v)).toEqual(["cropland"]);
    for (const v of [0, 1, 2, 3]) expect(GID15_MAPPING.get(v)).toEqual(["built_up"]);
    expect(GID15_MAPPING.get(14)).toEqual(["pond"]);
    expect(GID5_MAPPING.get(2)).toEqual(["trees", "orchard"]);
    for (const m of [...GID15_MAPPING.values(), ...GID5_MAPPING.values()]) {
      if (m !== "ignore") expect(labelMeaningGroup(m)).not.toBeNull();
    }
    expect(() => labelMeaningGroup(["cropland", "trees"])).toThrow(RangeError);
  });
});
