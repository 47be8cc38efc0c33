// The release client's size as the server ships it (brotli, quality 11, as server/src/compress.rs
// compresses it), against the budget and the ceiling the Makefile names.
// Usage: node scripts/wasm-size.mjs <dist dir> <budget KB> <ceiling KB>
// Fails past the ceiling; says whether the budget is met.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, constants } from "node:zlib";

const [dir, budgetKb, ceilingKb] = process.argv.slice(2);
const wasm = readdirSync(dir).filter((f) => f.endsWith(".wasm"));
if (wasm.length !== 1) {
  console.error(`expected one .wasm in ${dir}, found ${wasm.length}: run \`make client\``);
  process.exit(2);
}
const raw = readFileSync(join(dir, wasm[0]));
const br = brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
const kb = (n) => (n / 1000).toFixed(1);
const budget = Number(budgetKb) * 1000;
const ceiling = Number(ceilingKb) * 1000;
console.log(
  `wasm client: ${kb(raw.length)} KB raw, ${kb(br)} KB brotli; ` +
    `budget ${budgetKb} KB: ${br <= budget ? "met" : `NOT met (${(br / budget).toFixed(2)}x)`}; ` +
    `ceiling ${ceilingKb} KB`,
);
if (br > ceiling) {
  console.error(`the wasm client grew past its ceiling: ${kb(br)} KB > ${ceilingKb} KB brotli`);
  process.exit(1);
}
