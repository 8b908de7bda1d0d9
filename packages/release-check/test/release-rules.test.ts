// The rules check:package applies to every published package (scripts/check-package.mjs) catch what
// they are for, and the contributor's guide lists the README's Developing commands.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { apiReportFailure, apiReportProblems } from "../../../scripts/api-report-problems.mjs";
import { packageManifestProblems } from "../../../scripts/package-manifest-problems.mjs";

const read = (path: string) => readFileSync(fileURLToPath(new URL(`../../../${path}`, import.meta.url)), "utf8");

const repository = "https://github.com/example/azure-postgresql-auth";
const root = {
  repository: { type: "git", url: `git+${repository}.git` },
  bugs: { url: `${repository}/issues` },
};
const releaseReady = {
  name: "@azure/postgresql-auth-example",
  license: "MIT",
  homepage: `${repository}/tree/main/packages/example#readme`,
  repository: { type: "git", url: `git+${repository}.git`, directory: "packages/example" },
  bugs: { url: `${repository}/issues` },
  dependencies: { "@azure/postgresql-auth-core": "^0.1.0", "@azure/identity": "^4.13.1", yaml: "~2.9.1" },
  peerDependencies: { pg: ">=8.0.0 <9" },
  devDependencies: { typescript: "7.0.2" },
};
const context = { folder: "packages/example", root, files: ["LICENSE", "package.json", "dist/esm/index.js"] };

describe("packageManifestProblems", () => {
  it("passes a release-ready manifest (exact versions in devDependencies are fine)", () => {
    expect(packageManifestProblems(releaseReady, context)).toEqual([]);
  });

  it("fails on an exact runtime version, however it is written", () => {
    for (const [field, range] of [
      ["dependencies", "4.13.1"],
      ["dependencies", "=4.13.1"],
      ["dependencies", "v4.13.1"],
      ["dependencies", "18.4.0-beta.17"],
      ["dependencies", "workspace:*"],
      ["dependencies", "npm:@azure/identity@4.13.1"],
      ["optionalDependencies", "1.0.0"],
      ["peerDependencies", "8.23.1"],
    ] as const) {
      const manifest = { ...releaseReady, [field]: { "some-package": range } };
      expect(packageManifestProblems(manifest, context), `${field} ${range}`).toEqual([
        `${field}.some-package: "${range}" is an exact version; a runtime dependency takes a caret range ("^1.2.3", or "workspace:^" for a workspace package)`,
      ]);
    }
  });

  it("accepts ranges, including a caret range on a prerelease and workspace:^", () => {
    const dependencies = { a: "^18.4.0-beta.17", b: "workspace:^", c: ">=1.2.3 <2", d: "1.x", e: "*" };
    expect(packageManifestProblems({ ...releaseReady, dependencies }, context)).toEqual([]);
  });

  it("fails without the LICENSE file, the MIT licence, or links to the root's repository", () => {
    const problems = packageManifestProblems(
      {
        ...releaseReady,
        license: "ISC",
        homepage: undefined,
        repository: { type: "git", url: "git+https://github.com/someone/else.git" },
        bugs: undefined,
      },
      { ...context, files: ["package.json"] },
    );
    expect(problems.map((p) => p.split(":")[0])).toEqual([
      "license",
      "LICENSE",
      "repository.url",
      "repository.directory",
      "homepage",
      "bugs.url",
    ]);
  });
});

describe("apiReportProblems", () => {
  const report = [
    "// @public",
    "export interface Options {",
    "    documented?: string;",
    "    // (undocumented)",
    "    host: string;",
    "    // (undocumented)",
    "    readonly port?: number;",
    "}",
    "",
    "// @public (undocumented)",
    "export function start(options: Options): void;",
    "",
    '// Warning: (ae-forgotten-export) The symbol "Hidden" needs to be exported by the entry point index.d.ts',
    "//",
    "// @public",
    "export function hidden(): Hidden;",
  ].join("\n");

  it("names every undocumented member and top-level declaration, and every analysis warning", () => {
    expect(apiReportProblems(report)).toEqual({
      undocumented: ["Options.host", "Options.port", "start"],
      warnings: ['ae-forgotten-export: The symbol "Hidden" needs to be exported by the entry point index.d.ts'],
    });
  });

  it("finds nothing in a report without them", () => {
    expect(apiReportProblems("// @public\nexport function start(): void;\n")).toEqual({
      undocumented: [],
      warnings: [],
    });
  });
});

describe("apiReportFailure", () => {
  it("fails a report with an undocumented member, naming it", () => {
    const failure = apiReportFailure(
      "// @public\nexport interface Options {\n    // (undocumented)\n    host: string;\n}\n",
    );
    expect(failure).toContain("1 member(s) without a TSDoc summary");
    expect(failure).toContain("Options.host");
  });

  it("fails a report with only an analysis warning", () => {
    const failure = apiReportFailure(
      '// Warning: (ae-forgotten-export) The symbol "Hidden" needs to be exported by the entry point index.d.ts\n// @public\nexport function hidden(): Hidden;\n',
    );
    expect(failure).toContain("ae-forgotten-export");
  });

  it("passes a clean report", () => {
    expect(apiReportFailure("// @public\nexport function start(): void;\n")).toBeUndefined();
  });

  it("has no exceptions list: check-package.mjs fails every package on a failure", () => {
    const script = read("scripts/check-package.mjs");
    expect(script).not.toMatch(/API_DOCS_PENDING/);
    expect(script).toMatch(/apiReportFailure\(/);
  });
});

describe("CONTRIBUTING.md", () => {
  it("lists every command of the README's Developing section", () => {
    const developing = read("README.md").split("## Developing")[1]!.split("\n## ")[0]!;
    const commands = [...developing.matchAll(/^\| `([^`]+)`/gm)].map((m) => m[1]!);
    expect(commands.length).toBeGreaterThanOrEqual(5);
    const contributing = read("CONTRIBUTING.md");
    for (const command of commands) expect(contributing, command).toContain(`\`${command}\``);
  });
});
