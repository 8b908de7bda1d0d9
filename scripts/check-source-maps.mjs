// Every .js file the package publishes must ship its source map, and every map must carry its
// sources (inlineSources), since src/ is not published. Usage (from a package folder):
//   node ../../scripts/check-source-maps.mjs
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

const [{ files }] = JSON.parse(
  execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { encoding: "utf8" }),
);
const published = new Set(files.map((file) => file.path));
const problems = [];
let maps = 0;
for (const path of published) {
  if (!path.endsWith(".js")) continue;
  const mapPath = `${path}.map`;
  if (!published.has(mapPath)) {
    problems.push(`${path}: its source map ${mapPath} is not published`);
    continue;
  }
  const map = JSON.parse(readFileSync(mapPath, "utf8"));
  if (!Array.isArray(map.sourcesContent) || map.sourcesContent.length !== map.sources.length) {
    problems.push(`${mapPath}: no sourcesContent (set inlineSources in tsconfig.base.json)`);
  }
  maps += 1;
}
if (problems.length > 0) {
  console.error(`Source map problems:\n  ${problems.join("\n  ")}`);
  process.exit(1);
}
console.log(`${maps} published .js files ship a source map with their sources`);
