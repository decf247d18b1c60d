import type { Plugin } from "esbuild";

/** The source with every `getJSON(path.join(dirname, …))` replaced by a bundled import of that file. */
export declare function inlineJsonReads(source: string, file: string): string;
/** Bundles the JSON files @google-cloud/tasks reads next to its modules at load (see the .mjs). */
export declare function gapicJsonPlugin(): Plugin;
