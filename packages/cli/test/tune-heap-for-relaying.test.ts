// tuneHeapForRelaying changes V8's heap growth for the whole process, so each case runs in a child
// process of its own (never in the test worker) and reads the factor V8 actually applies: with
// --trace-gc-verbose, V8 prints "[HeapController] Limit: old size: … KB, new limit: … KB (<factor>)"
// after each full collection (Node 24: "[HeapController] factor <factor> based on …"). The heap is capped at 64 MiB so that V8's own factor stays at 2 or
// below, and 4.0 can only come from the proxy's 300%.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { PROXY_HEAP_GROWING_PERCENT } from "../src/tune-heap-for-relaying.js";

const built = fileURLToPath(new URL("../dist/esm/tune-heap-for-relaying.js", import.meta.url));

/** The heap growth factor V8 applies at a full collection in a fresh process, after `script`. */
function growthFactorAfter(script: string, nodeFlags: string[] = []): number {
  const output = execFileSync(
    process.execPath,
    [
      "--trace-gc-verbose",
      "--expose-gc",
      "--max-old-space-size=64",
      ...nodeFlags,
      "--input-type=module",
      "-e",
      `import { tuneHeapForRelaying } from ${JSON.stringify(built)};\n${script}\nglobalThis.gc();`,
    ],
    { encoding: "utf8" },
  );
  // Node 20 and 22 print the applied factor at the end of the Limit line; Node 24's V8 prints it on
  // the "factor … based on" line before it (its Limit line has none). The last one printed is it.
  const factors = [...output.matchAll(/\[HeapController\] (?:Limit: .*\(([\d.]+)\)$|factor ([\d.]+) based on)/gm)].map(
    (m) => Number(m[1] ?? m[2]),
  );
  if (factors.length === 0)
    throw new Error(`V8 printed no heap limit (has --trace-gc-verbose's format changed?):\n${output}`);
  return factors.at(-1)!;
}

describe("tuneHeapForRelaying, in a process of its own", () => {
  it("without it, V8 grows a small heap by its own factor (2 or less)", () => {
    expect(growthFactorAfter("")).toBeLessThanOrEqual(2);
  });

  it("lets the heap grow to 4× its live size between full collections", () => {
    expect(PROXY_HEAP_GROWING_PERCENT).toBe(300);
    expect(growthFactorAfter("if (tuneHeapForRelaying() !== true) throw new Error('not applied');")).toBe(4);
  });

  it("leaves a --heap-growing-percent given to node alone, in either spelling", () => {
    const keep = "if (tuneHeapForRelaying() !== false) throw new Error('applied');";
    expect(growthFactorAfter(keep, ["--heap-growing-percent=50"])).toBe(1.5);
    expect(growthFactorAfter(keep, ["--heap_growing_percent=150"])).toBe(2.5);
  });
});
