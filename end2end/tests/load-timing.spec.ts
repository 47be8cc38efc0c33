// `make bench`: how long the API Keys page takes to show its first key row in headless
// Chromium, cold (a new browser context: empty cache) and warm (the same context again), against
// an outside baseline measured in the same run: a bare Node.js HTTP server answering a static
// page with one table row. Both are timed the same way, in the page, from navigation start to
// the moment the first row is in the DOM. Prints medians and ratios; asserts only that the
// pages work (no test depends on timing).
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { test, expect, createKey } from "./fixtures";

test.skip(!process.env.LOAD_TIMING, "run by `make bench`");
// The server at its default log level (the harness logs at debug for the secrets check).
test.use({ serverEnv: { LS_LOG: "" } });

const ROUNDS = Number(process.env.LOAD_TIMING_ROUNDS ?? 5);
const KEYS = 25;

/** Records when the first table body row with a link (a key row: not a loading placeholder)
 * appears; installed before any page script runs. */
const FIRST_ROW_PROBE = `
  (() => {
    const seen = () => document.querySelector("tbody tr a");
    const done = () => { window.__firstRow = performance.now(); };
    const watch = new MutationObserver(() => { if (seen()) { done(); watch.disconnect(); } });
    watch.observe(document, { childList: true, subtree: true });
  })();
`;

const BASELINE_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>baseline</title></head>
<body><table><thead><tr><th>Name</th></tr></thead><tbody><tr><td><a href="#k">baseline key</a></td></tr></tbody></table></body></html>`;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

test("the API Keys page's first key row, cold and warm, against a static page", async ({ page, admin, server, browser }) => {
  test.setTimeout(180_000);
  for (let i = 0; i < KEYS; i++) await createKey(page.request, { name: `Timing shop ${i + 1}` });
  const session = (await page.context().cookies()).filter((c) => c.name === "ls_session");
  expect(session).toHaveLength(1);

  const baseline = http.createServer((_, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(BASELINE_PAGE);
  });
  await new Promise<void>((r) => baseline.listen(0, "127.0.0.1", r));
  const baselineUrl = `http://127.0.0.1:${(baseline.address() as AddressInfo).port}/`;

  /** Cold then warm first-row times (ms) of `url` in a fresh context. */
  async function measure(url: string, withSession: boolean): Promise<[number, number]> {
    const context = await browser.newContext();
    if (withSession) await context.addCookies(session);
    await context.addInitScript(FIRST_ROW_PROBE);
    const tab = await context.newPage();
    const times: number[] = [];
    for (let visit = 0; visit < 2; visit++) {
      await tab.goto(url);
      await tab.waitForFunction(() => (window as unknown as { __firstRow?: number }).__firstRow !== undefined);
      times.push(await tab.evaluate(() => (window as unknown as { __firstRow: number }).__firstRow));
    }
    await expect(tab.getByRole("row").nth(1)).toBeVisible();
    await context.close();
    return [times[0], times[1]];
  }

  const ours: [number, number][] = [];
  const base: [number, number][] = [];
  for (let round = 0; round < ROUNDS; round++) {
    base.push(await measure(baselineUrl, false));
    ours.push(await measure(`${server.url}/keys`, true));
  }
  baseline.close();

  const report = (label: string, i: 0 | 1, target: number) => {
    const o = median(ours.map((t) => t[i]));
    const b = median(base.map((t) => t[i]));
    console.log(
      `  ${label.padEnd(5)} first key row ${o.toFixed(0).padStart(5)} ms (median of ${ROUNDS})   ` +
        `static page ${b.toFixed(0).padStart(4)} ms   ${(o / b).toFixed(1)}x   ` +
        `target <= ${target} ms -> ${o <= target ? "met" : "NOT met"}`,
    );
  };
  console.log(`API Keys page load in headless Chromium, localhost, release server, ${KEYS} keys:`);
  report("cold", 0, 600);
  report("warm", 1, 250);
});
