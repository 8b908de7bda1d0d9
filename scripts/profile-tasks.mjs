// Measures what each task of `pnpm test` costs when it runs alone: wall seconds, CPU seconds
// (user + system, children included, from /usr/bin/time), peak resident memory of the largest
// process and the peak number of processes it had at once (sampled from /proc every 100 ms).
// The figures tell which tasks may overlap on a machine of a given core count.
//
//   node scripts/profile-tasks.mjs [task ...]     default: typecheck test:unit check:package test:integration
//
// Builds first (turbo, cached), then runs each package's task by itself with `pnpm run`, one at a
// time, and prints one table sorted by CPU seconds, plus the sums. Linux only (/proc).
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const tasks = process.argv.slice(2).length
  ? process.argv.slice(2)
  : ["typecheck", "test:unit", "check:package", "test:integration"];

execFileSync("pnpm", ["exec", "turbo", "run", "build", "--output-logs=errors-only"], { cwd: root, stdio: "inherit" });
const plan = JSON.parse(
  execFileSync("pnpm", ["exec", "turbo", "run", ...tasks, "--dry=json"], { cwd: root, maxBuffer: 64 << 20 }).toString(),
);
const runs = plan.tasks.filter((t) => tasks.includes(t.task) && t.command !== "<NONEXISTENT>");

/** Every process whose parent chain reaches `pid`, with its state read from /proc. */
function descendants(pid) {
  const parent = new Map();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      parent.set(Number(name), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {}
  }
  const found = [];
  for (const [child] of parent) {
    for (let p = child; p > 1; p = parent.get(p) ?? 0) {
      if (p === pid) {
        found.push(child);
        break;
      }
    }
  }
  return found;
}

function runAlone(task) {
  const scratch = mkdtempSync(join(tmpdir(), "profile-task-"));
  const timeFile = join(scratch, "time");
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const child = spawn("/usr/bin/time", ["-o", timeFile, "-f", "%U %S %M", "pnpm", "run", task.task], {
      cwd: join(root, task.directory),
      stdio: ["ignore", "ignore", "ignore"],
      env: { ...process.env, TURBO_TELEMETRY_DISABLED: "1" },
    });
    let peakProcesses = 0;
    const sampler = setInterval(() => {
      peakProcesses = Math.max(peakProcesses, descendants(child.pid).length);
    }, 100);
    child.on("exit", (code) => {
      clearInterval(sampler);
      const wall = Number(process.hrtime.bigint() - started) / 1e9;
      const [user, system, maxKiB] = readFileSync(timeFile, "utf8").trim().split("\n").at(-1).split(" ").map(Number);
      rmSync(scratch, { recursive: true, force: true });
      resolve({ id: task.taskId, code, wall, cpu: user + system, peakMiB: maxKiB / 1024, peakProcesses });
    });
  });
}

const results = [];
for (const task of runs) {
  const result = await runAlone(task);
  results.push(result);
  console.error(`${result.id}: ${result.wall.toFixed(1)} s wall, ${result.cpu.toFixed(1)} s CPU, exit ${result.code}`);
}
results.sort((a, b) => b.cpu - a.cpu);
const pad = (text, width) => String(text).padEnd(width);
const num = (value, width, digits = 1) => value.toFixed(digits).padStart(width);
console.log(
  `\n${pad("task", 72)} ${"wall s".padStart(7)} ${"CPU s".padStart(7)} ${"CPU/wall".padStart(8)} ${"procs".padStart(5)} ${"MiB".padStart(6)}`,
);
for (const r of results) {
  console.log(
    `${pad(r.id, 72)} ${num(r.wall, 7)} ${num(r.cpu, 7)} ${num(r.cpu / r.wall, 8, 2)} ${String(r.peakProcesses).padStart(5)} ${num(r.peakMiB, 6, 0)}${r.code ? `  exit ${r.code}` : ""}`,
  );
}
for (const kind of tasks) {
  const of = results.filter((r) => r.id.endsWith(`#${kind}`));
  const wall = of.reduce((sum, r) => sum + r.wall, 0);
  const cpu = of.reduce((sum, r) => sum + r.cpu, 0);
  console.log(`sum ${pad(kind, 68)} ${num(wall, 7)} ${num(cpu, 7)} ${num(cpu / wall, 8, 2)}`);
}
