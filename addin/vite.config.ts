// The task pane and the on-send page (commands.html), built into dist/ and
// served by the backend under /addin/. The on-send script itself is built
// separately (vite.onsend.config.ts) as one file without imports.
import { resolve } from "node:path";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

export default defineConfig({
  base: "/addin/",
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2020",
    // Outlook's webviews and the playground both load these; no source maps
    // in what is served (the server would serve them to anyone).
    sourcemap: false,
    // React and Fluent UI are most of it; the pane loads once per compose window.
    chunkSizeWarningLimit: 800,
    rollupOptions: {
      input: {
        taskpane: resolve(__dirname, "taskpane.html"),
        commands: resolve(__dirname, "commands.html"),
      },
    },
  },
  test: {
    environment: "jsdom",
    include: ["test/**/*.test.{ts,tsx}"],
    setupFiles: ["test/setup.ts"],
  },
});
