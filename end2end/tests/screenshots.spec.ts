// `make screenshots`: the API Keys page at 1280 and 360 px with 45 keys from two admins, some
// with 100-character names, written to docs/screenshots/ (linked from the README).
import * as path from "node:path";
import { request as apiRequest } from "@playwright/test";
import { test, expect, createKey } from "./fixtures";

test.skip(!process.env.SCREENSHOTS, "run by `make screenshots`");

const out = path.resolve(__dirname, "..", "..", "docs", "screenshots");
const shops = ["WooCommerce", "Shopify", "Magento", "BigCommerce", "Custom app", "Zapier", "Make", "Webflow", "Ecwid"];

test("the keys list with 45 keys at 1280 and 360 px", async ({ page, admin, server, browser }) => {
  const bob = { email: "bob@example.com", name: "Bob Builder", password: "bob's long passphrase" };
  expect((await page.request.post("/api/v1/admins.create", { data: bob })).status()).toBe(200);
  const bobApi = await apiRequest.newContext({ baseURL: server.url });
  expect((await bobApi.post("/api/v1/auth.login", { data: { email: bob.email, password: bob.password } })).status()).toBe(200);
  for (let i = 0; i < 45; i++) {
    const shop = shops[i % shops.length];
    const name = i % 11 === 3
      ? `${shop} production integration for the EU storefront with a very long descriptive label`.padEnd(100, "x").slice(0, 100)
      : `${shop} ${["live", "staging", "test"][i % 3]} ${i + 1}`;
    const data = {
      name,
      project: `${shop.toLowerCase().replace(/ /g, "")}.example`,
      scopes: i % 4 === 0 ? ["keys:verify"] : ["keys:read"],
      recoverable: i % 5 !== 0,
      expires_at: i % 6 === 0 ? new Date(Date.now() + (i + 2) * 86_400_000).toISOString() : null,
    };
    await createKey(i % 2 === 0 ? page.request : bobApi, data);
  }
  await bobApi.dispose();
  for (const [width, height, file] of [[1280, 900, "keys-1280.png"], [360, 740, "keys-360.png"]] as const) {
    await page.setViewportSize({ width, height });
    await page.goto("/keys?size=25");
    await expect(page.getByText("Showing 1–25 of 45")).toBeVisible();
    await page.screenshot({ path: path.join(out, file), fullPage: width > 400 });
  }
});
