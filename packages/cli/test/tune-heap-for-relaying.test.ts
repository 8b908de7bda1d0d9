import { describe, expect, it } from "vitest";
import { tuneHeapForRelaying } from "../src/tune-heap-for-relaying.js";

describe("tuneHeapForRelaying", () => {
  it("applies the proxy's heap growth when node was started without one", () => {
    expect(tuneHeapForRelaying([])).toBe(true);
    expect(tuneHeapForRelaying(["--enable-source-maps"])).toBe(true);
  });

  it("leaves a --heap-growing-percent given to node alone, in either spelling", () => {
    expect(tuneHeapForRelaying(["--heap-growing-percent=50"])).toBe(false);
    expect(tuneHeapForRelaying(["--heap_growing_percent", "50"])).toBe(false);
  });
});
