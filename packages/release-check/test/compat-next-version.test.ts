// The compatibility package's next version, as `changeset version` will compute it from the pending
// changesets and .changeset/pre.json: it must follow Microsoft's published 1.0.0-beta.1, not reuse it.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import getReleasePlan from "@changesets/get-release-plan";
import { describe, expect, it } from "vitest";

const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));
const compatManifest = JSON.parse(
  readFileSync(fileURLToPath(new URL("../../postgresql-auth/package.json", import.meta.url)), "utf8"),
) as { name: string; version: string };

describe("@azure/postgresql-auth's next version", () => {
  it("is 1.0.0-beta.2 (after Microsoft's 1.0.0-beta.1)", async () => {
    const plan = await getReleasePlan(repoRoot);
    const release = plan.releases.find((candidate) => candidate.name === compatManifest.name);
    expect(release?.oldVersion).toBe(compatManifest.version);
    expect(release?.newVersion).toBe("1.0.0-beta.2");
    expect(release?.newVersion).not.toBe("1.0.0-beta.1");
  });
});
