// Preloaded with `node --import` when /usr/bin/time is not available: at exit, writes the
// process's peak resident set size in KiB and its user and system CPU seconds (as
// `/usr/bin/time -f '%M %U %S'` would) to the file named by BENCH_RSS_FILE. Only for the process it is loaded into; the variable is
// removed so grandchildren do not overwrite the file.
import { writeFileSync } from "node:fs";

const file = process.env.BENCH_RSS_FILE;
delete process.env.BENCH_RSS_FILE;
if (file !== undefined && file !== "") {
  process.on("exit", () => {
    try {
      const usage = process.resourceUsage();
      writeFileSync(file, `${usage.maxRSS} ${usage.userCPUTime / 1e6} ${usage.systemCPUTime / 1e6}\n`);
    } catch {
      // Nothing useful to do at exit; the bench reports the RSS as unknown.
    }
  });
}
