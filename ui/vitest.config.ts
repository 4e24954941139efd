import { defineConfig } from "vitest/config";

// Unit tests of the pure modules (formatting, URL <-> filter state): no DOM needed.
export default defineConfig({
  test: { include: ["src/**/*.test.ts"], environment: "node" },
});
