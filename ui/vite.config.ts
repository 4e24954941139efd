import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The app is built into the Python package, which serves index.html for every UI route and
// /assets/* with a year-long cache (file names carry a content hash). Nothing is fetched from
// a CDN at run time: air-gapped installs get the whole UI from Theodolite itself.
export default defineConfig({
  plugins: [react()],
  base: "/",
  build: {
    outDir: "../theodolite/web/static",
    emptyOutDir: true,
    assetsDir: "assets",
    sourcemap: false,
    chunkSizeWarningLimit: 350,
    rolldownOptions: {
      output: {
        // Libraries change less often than the app: their chunks stay cached across releases.
        codeSplitting: {
          groups: [
            { name: "react", test: /node_modules[\\/](react|react-dom|react-router|scheduler|cookie|set-cookie-parser)[\\/]/ },
            { name: "tanstack", test: /node_modules[\\/]@tanstack[\\/]/ },
            // Every other library (react-markdown and its unified/micromark parsers...): the first match wins.
            { name: "libs", test: /node_modules[\\/]/ },
          ],
        },
      },
    },
  },
  server: {
    // `npm run dev` against a running `theodolite serve` on the default port.
    proxy: { "/api": "http://127.0.0.1:4318" },
  },
});
