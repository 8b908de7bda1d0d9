// What an API report (review/*.api.md, written by api-extractor) must not contain: a member without
// a TSDoc summary (api-extractor marks it `// (undocumented)`: no comment, or a summary shorter than
// 10 characters) or an analysis warning (e.g. ae-forgotten-export: the public API uses a type that
// the entry point does not export).

/**
 * The undocumented members (as `Declaration.member`, or `Declaration` for a top-level one) and the
 * analysis warnings of an API report.
 *
 * @param {string} report the text of an API report
 * @returns {{ undocumented: string[], warnings: string[] }}
 */
export function apiReportProblems(report) {
  const lines = report.split("\n");
  const undocumented = [];
  const warnings = [];
  let declaration = "";
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i];
    const top = /^export (?:declare )?(?:abstract )?(?:class|const|function|interface|type|enum|namespace) (\w+)/.exec(
      line,
    );
    if (top) declaration = top[1];
    const warning = /\((ae-[\w-]+)\) (.*)$/.exec(line);
    if (warning) warnings.push(`${warning[1]}: ${warning[2]}`);
    if (!line.includes("// (undocumented)") && !/^\s*\/\/ @\w+ \(undocumented\)$/.test(line)) continue;
    let next = i + 1;
    while (next < lines.length && /^\s*\/\//.test(lines[next])) next += 1;
    const target = lines[next] ?? "";
    const own = /^export (?:declare )?(?:abstract )?(?:class|const|function|interface|type|enum|namespace) (\w+)/.exec(
      target,
    );
    if (own) {
      undocumented.push(own[1]);
    } else {
      const member = /^\s+(?:readonly |static |protected |abstract )*([\w$]+|\[[^\]]+\]|constructor)/.exec(target);
      undocumented.push(`${declaration}.${member ? member[1] : target.trim()}`);
    }
  }
  return { undocumented, warnings };
}

/**
 * Whether an API report fails the package check, and why: any undocumented member or any analysis
 * warning fails it, in every package (no exceptions list).
 *
 * @param {string} report the text of an API report
 * @returns {string | undefined} the failure message, or `undefined` when the report passes
 */
export function apiReportFailure(report) {
  const { undocumented, warnings } = apiReportProblems(report);
  if (undocumented.length + warnings.length === 0) return undefined;
  return (
    `API report: ${undocumented.length} member(s) without a TSDoc summary` +
    (undocumented.length > 0 ? `:\n  ${undocumented.join("\n  ")}` : "") +
    (warnings.length > 0 ? `\nAPI report: analysis warnings:\n  ${warnings.join("\n  ")}` : "")
  );
}
