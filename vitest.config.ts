import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Spawned commands run dist/: rebuilt here when a source is newer than the last build.
    globalSetup: ["test/support/build.global.ts"],
    testTimeout: 180_000,
    hookTimeout: 300_000,
    // Test files share one PostgreSQL server; each uses its own database, but two cores is all we have.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
