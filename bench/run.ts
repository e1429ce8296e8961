// `npm run bench`: every figure next to a baseline measured in the same run, printed as a ratio.
// Wall-clock figures live here, never in tests. Needs the PostgreSQL server
// (MOVR_BENCH_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/postgres).
import { runHttpBench } from "./http.bench.ts";
import { runWorkloadBench } from "./workload.bench.ts";

async function main(): Promise<void> {
  console.log("== web application: our API vs a bare node:http + pg handler issuing the same SQL ==");
  await runHttpBench();
  console.log("\n== workload tool: movr run / movr load vs raw pg / COPY ==");
  await runWorkloadBench();
}

main().catch((err: unknown) => {
  console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
