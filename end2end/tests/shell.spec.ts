import { test, expect } from "./fixtures";

test("loads / and shows the shell without console errors @mobile", async ({ page, consoleErrors }) => {
  await page.goto("/");
  await expect(page.getByRole("link", { name: "LicenseShipper" })).toBeVisible();
  // A fresh install sends the first visitor to setup.
  await expect(page).toHaveURL(/\/setup$/);
  await expect(page.getByRole("heading", { name: "Set up LicenseShipper" })).toBeVisible();
  expect(consoleErrors).toEqual([]);
});

test("serves the SPA for client routes and 404s missing assets", async ({ request }) => {
  for (const path of ["/keys", "/anything/else"]) {
    const res = await request.get(path);
    expect(res.status()).toBe(200);
    expect(await res.text()).toContain("<title>LicenseShipper Keys</title>");
  }
  expect((await request.get("/missing.js")).status()).toBe(404);
  const health = await request.get("/healthz");
  expect(health.status()).toBe(200);
  expect(await health.json()).toMatchObject({ status: "ok", database: "ok" });
});

test("unknown pages show a not-found page", async ({ page, admin }) => {
  await page.goto("/anything/else");
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
});
