import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// React's API on Preact: the UI keeps React's types and libraries, and the first script the
// window parses is a quarter the size (issue 13: cold start and the web process's memory).
const preact = [
  { find: /^react$/, replacement: "preact/compat" },
  { find: /^react-dom$/, replacement: "preact/compat" },
  { find: /^react-dom\/client$/, replacement: "preact/compat/client" },
  { find: /^react-dom\/test-utils$/, replacement: "preact/test-utils" },
  { find: /^react\/jsx-runtime$/, replacement: "preact/jsx-runtime" },
  { find: /^react\/jsx-dev-runtime$/, replacement: "preact/jsx-dev-runtime" },
];

// The UI lives in ui/; Tauri serves ui/dist in builds and the dev server in `tauri dev`.
export default defineConfig({
  root: "ui",
  plugins: [react()],
  resolve: { alias: preact },
  clearScreen: false,
  server: { port: 5173, strictPort: true, host: "127.0.0.1" },
  build: { outDir: "dist", emptyOutDir: true, target: "es2022" },
  test: {
    root: ".",
    include: ["ui/src/**/*.test.{ts,tsx}"],
    environment: "jsdom",
    // Libraries that import React are bundled through the aliases above, as in the app.
    alias: [
      // The ES build, so that its own imports of React go through the aliases too.
      { find: /^@testing-library\/react$/, replacement: "@testing-library/react/dist/@testing-library/react.esm.js" },
    ],
    server: { deps: { inline: [/@testing-library\/react/, /@tanstack/, /@openai\/chatkit-react/, /react-markdown/] } },
  },
});
