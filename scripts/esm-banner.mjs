// Bundled CommonJS calls require() for Node built-ins and reads __dirname; ESM has neither. Both builds
// (scripts/build-functions.ts, scripts/build-main.mjs) put this on top of every bundle.
export const banner = [
  'import { createRequire as __mgCreateRequire } from "node:module";',
  'import { fileURLToPath as __mgFileURLToPath } from "node:url";',
  'import { dirname as __mgDirname } from "node:path";',
  "const require = __mgCreateRequire(import.meta.url);",
  "const __filename = __mgFileURLToPath(import.meta.url);",
  "const __dirname = __mgDirname(__filename);",
].join("\n");
