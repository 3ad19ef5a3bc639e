// How the checkout page is bundled: exactly dist/index.html, dist/app.js and dist/app.css, with
// fixed names and relative URLs, because the local stack embeds these three files at compile
// time (include_str!) and the same folder must work as static files on any host.
import { defineConfig } from "vite";

export default defineConfig({
  base: "./",
  // The client under ../clients/typescript imports openapi-fetch; resolve it from this
  // package's pinned install so the build never depends on the client folder's node_modules.
  resolve: { dedupe: ["openapi-fetch"] },
  server: { fs: { allow: [".."] } },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsDir: "",
    target: "es2022",
    cssCodeSplit: false,
    modulePreload: false,
    sourcemap: false,
    // Any image becomes a data URL: the stack serves only the three files.
    assetsInlineLimit: () => true,
    rolldownOptions: {
      output: {
        entryFileNames: "app.js",
        assetFileNames: "app.css",
        codeSplitting: false,
      },
    },
  },
});
