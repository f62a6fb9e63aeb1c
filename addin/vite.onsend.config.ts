// The on-send handler as one self-contained classic script: classic Outlook
// on Windows runs it in a JavaScript-only runtime that loads exactly this
// file, with no modules, no DOM and no second request for a chunk.
import { resolve } from "node:path";
import { defineConfig } from "vite";

export default defineConfig({
  build: {
    outDir: "dist",
    emptyOutDir: false, // the pane's build is already there
    target: "es2017",
    sourcemap: false,
    lib: {
      entry: resolve(__dirname, "src/onsend/entry.ts"),
      formats: ["iife"],
      name: "sendwiseOnSend",
      fileName: () => "onsend.js",
    },
    rollupOptions: { output: { inlineDynamicImports: true } },
  },
});
