import { test, expect, createKey, rememberSecret } from "./fixtures";
import type { APIRequestContext } from "@playwright/test";

async function whoami(request: APIRequestContext, key: string) {
  const res = await request.post("/api/v1/whoami", { headers: { Authorization: `Bearer ${key}` } });
  return res.status();
}

test("details: open from the list, reveal and hide, copy, Back keeps the list view", async ({ page, admin, server }) => {
  await page.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.url });
  for (let i = 1; i <= 12; i++) await createKey(page.request, { name: `Shop ${String(i).padStart(2, "0")}`, project: "shop.example" });
  const { secret } = await createKey(page.request, { name: "Shop 13", project: "licenseshipper.com", scopes: ["keys:verify"] });
  await page.goto("/keys");
  await page.getByRole("searchbox", { name: "Search API keys" }).fill("shop");
  await expect(page).toHaveURL(/q=shop/);
  await page.getByRole("button", { name: "Name" }).click();
  await page.getByRole("button", { name: "Page 2" }).click();
  await expect(page.getByText("Showing 11–13 of 13")).toBeVisible();
  const listUrl = page.url();
  await page.getByRole("link", { name: "Shop 13", exact: true }).click();

  await expect(page.getByRole("heading", { name: "Shop 13" })).toBeVisible();
  const field = (label: string) => page.getByRole("term").filter({ hasText: new RegExp(`^${label}$`) }).locator("xpath=following-sibling::dd[1]");
  await expect(field("Name")).toHaveText("Shop 13");
  await expect(field("Project")).toHaveText("licenseshipper.com");
  await expect(field("Last Used")).toHaveText("Never");
  await expect(field("Created By")).toHaveText("Ann Admin");
  await expect(field("Status")).toHaveText("Active");
  await expect(field("Scopes")).toHaveText("keys:verify");
  await expect(field("Created At")).not.toBeEmpty();
  await expect(page.getByText("Keep this key safe; treat it like a password.")).toBeVisible();

  await expect(field("Secret Key")).not.toContainText(secret);
  await page.getByRole("button", { name: "Reveal" }).click();
  await expect(field("Secret Key")).toContainText(secret);
  await page.getByRole("button", { name: "Hide" }).click();
  await expect(field("Secret Key")).not.toContainText(secret);
  await page.getByRole("button", { name: "Copy" }).click();
  await expect(page.getByRole("status").getByText("Copied")).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);

  // History records the reveal.
  await page.reload();
  await expect(page.getByRole("listitem").filter({ hasText: "Revealed" }).first()).toContainText("Ann Admin");

  await page.getByRole("button", { name: "Back" }).click();
  await expect(page).toHaveURL(listUrl);
  await expect(page.getByText("Showing 11–13 of 13")).toBeVisible();
  await expect(page.getByRole("searchbox", { name: "Search API keys" })).toHaveValue("shop");
});

test("Back goes back in history to the list that opened the details; after a deep link it opens the list", async ({ page, admin }) => {
  const { key } = await createKey(page.request, { name: "Alpha" });
  await createKey(page.request, { name: "Beta" });
  await page.goto("/keys?sort=name&order=asc");
  const listUrl = page.url();
  await page.getByRole("link", { name: "Alpha", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Alpha" })).toBeVisible();
  await page.getByRole("button", { name: "Back" }).click();
  await expect(page).toHaveURL(listUrl);
  // No entry was added: Forward returns to the details, and browser Back then to the list.
  await page.goForward();
  await expect(page.getByRole("heading", { name: "Alpha" })).toBeVisible();
  await page.goBack();
  await expect(page).toHaveURL(listUrl);

  // A deep link has no list behind it: Back opens the list as last seen.
  await page.goto(`/keys/${key.id}`);
  await expect(page.getByRole("heading", { name: "Alpha" })).toBeVisible();
  await page.getByRole("button", { name: "Back" }).click();
  await expect(page).toHaveURL(listUrl);
  await expect(page.getByRole("link", { name: "Beta", exact: true })).toBeVisible();
});

test("regenerate with a 15-minute grace: old and new secrets both work, then only the new", async ({ page, admin, request }) => {
  const { key, secret: old } = await createKey(page.request, { name: "Woo", scopes: ["keys:read"] });
  await page.goto(`/keys/${key.id}`);
  await page.getByRole("button", { name: "Regenerate" }).click();
  const dialog = page.getByRole("dialog", { name: "Regenerate secret key" });
  await dialog.getByLabel("15 minutes").check();
  await dialog.getByRole("button", { name: "Regenerate" }).click();
  const shown = page.getByRole("dialog", { name: "New secret key" });
  const fresh = (await shown.getByLabel("New secret key").textContent())!.trim();
  rememberSecret(fresh);
  expect(fresh).not.toBe(old);
  // The page reloads the key behind the dialog; the new secret stays until the dialog closes.
  await expect(page.getByText(/Previous secret stops working/)).toBeAttached();
  await expect(shown.getByLabel("New secret key")).toHaveText(fresh);
  await shown.getByRole("button", { name: "Done" }).click();
  await expect(page.getByText(/Previous secret stops working in 1[45] minutes/)).toBeVisible();
  expect(await whoami(request, old)).toBe(200);
  expect(await whoami(request, fresh)).toBe(200);

  // A short grace (through the API) shows the old secret stop when the grace ends.
  const res = await page.request.post("/api/v1/keys.roll", { data: { id: key.id, grace_seconds: 4 } });
  const newest = (await res.json()).secret as string;
  rememberSecret(newest);
  expect(await whoami(request, fresh)).toBe(200);
  await page.waitForTimeout(4300);
  expect(await whoami(request, fresh)).toBe(401);
  expect(await whoami(request, newest)).toBe(200);
});

test("disable rejects the key for integrators; enable restores it", async ({ page, admin, request }) => {
  const { key, secret } = await createKey(page.request, { name: "Toggle" });
  expect(await whoami(request, secret)).toBe(200);
  await page.goto(`/keys/${key.id}`);
  await page.getByRole("button", { name: "Disable" }).click();
  await expect(page.getByRole("button", { name: "Enable" })).toBeVisible();
  await expect(page.locator(".details-head")).toContainText("Disabled");
  expect(await whoami(request, secret)).toBe(401);
  await page.getByRole("button", { name: "Enable" }).click();
  await expect(page.getByRole("button", { name: "Disable" })).toBeVisible();
  expect(await whoami(request, secret)).toBe(200);
  await page.reload();
  await expect(page.getByRole("listitem").filter({ hasText: "Disabled" })).toBeVisible();
  await expect(page.getByRole("listitem").filter({ hasText: "Enabled" })).toBeVisible();
});

test("edit shows a validation error next to the field, then saves", async ({ page, admin }) => {
  const { key } = await createKey(page.request, { name: "Old name", project: "a.example" });
  await page.goto(`/keys/${key.id}`);
  await page.getByRole("button", { name: "Edit" }).click();
  const dialog = page.getByRole("dialog", { name: "Edit API key" });
  // The field takes at most the server's limit; a blank name is refused next to the field.
  const doc = await (await page.request.get("/api/v1/openapi.json")).json();
  const nameMax = doc.paths["/api/v1/keys.update"].post.requestBody.content["application/json"].schema.properties.name.maxLength;
  await expect(dialog.getByLabel("Name")).toHaveAttribute("maxlength", String(nameMax));
  await dialog.getByLabel("Name").fill("   ");
  await dialog.getByRole("button", { name: "Save" }).click();
  await expect(dialog.getByText("Name is required.")).toBeVisible();
  await dialog.getByLabel("Name").fill("New name");
  await dialog.getByLabel("Rate limit (requests per minute)").fill("120");
  await dialog.getByRole("button", { name: "Save" }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByRole("heading", { name: "New name" })).toBeVisible();
  await expect(page.getByText("120 requests per minute")).toBeVisible();
  await expect(page.getByRole("listitem").filter({ hasText: "Edited" })).toBeVisible();
});

test("delete from the details page returns to the list", async ({ page, admin }) => {
  const { key } = await createKey(page.request, { name: "Doomed" });
  await page.goto(`/keys/${key.id}`);
  await page.getByRole("button", { name: "Delete" }).click();
  await page.getByRole("dialog", { name: "Delete API key “Doomed”?" }).getByRole("button", { name: "Delete" }).click();
  await expect(page).toHaveURL(/\/keys$/);
  await expect(page.getByText("No API keys yet.")).toBeVisible();
});

test("an unknown id says the key was not found, with Back", async ({ page, admin }) => {
  await page.goto("/keys/0193aaaa-0000-7000-8000-000000000000");
  await expect(page.getByRole("heading", { name: "API key not found" })).toBeVisible();
  await page.getByRole("button", { name: "Back" }).click();
  await expect(page).toHaveURL(/\/keys$/);
});

test("usage chart shows requests per day with an accessible table", async ({ page, admin, request }) => {
  const { key, secret } = await createKey(page.request, { name: "Busy" });
  // Never used: words, not an empty chart.
  await page.goto(`/keys/${key.id}`);
  await expect(page.getByText("No requests yet")).toBeVisible();
  await expect(page.getByRole("img", { name: /Requests per day/ })).toHaveCount(0);
  for (let i = 0; i < 3; i++) expect(await whoami(request, secret)).toBe(200);
  await page.waitForTimeout(1300);
  await page.goto(`/keys/${key.id}`);
  await expect(page.getByText("3 requests in the last 30 days")).toBeVisible();
  await expect(page.getByRole("img", { name: /Requests per day over the last 30 days, 3 in total/ })).toBeVisible();
  const table = page.getByRole("table", { name: "Requests per day" });
  await expect(table.getByRole("row")).toHaveCount(31);
  const lastUsed = page.getByRole("term").filter({ hasText: /^Last Used$/ }).locator("xpath=following-sibling::dd[1]");
  await expect(lastUsed).toContainText("just now");
  await expect(lastUsed).toContainText("from 127.0.0.1");
});

test("details: disabling a leaked management key can disable the keys it created too", async ({ page, admin }) => {
  const manager = await createKey(page.request, { name: "Leaked manager", scopes: ["keys:read", "keys:write"] });
  const res = await page.request.post("/api/v1/keys.create", {
    headers: { Authorization: `Bearer ${manager.secret}` },
    data: { name: "Minted by the manager" },
  });
  expect(res.status()).toBe(200);
  const child = await res.json();
  rememberSecret(child.secret);
  const bystander = await createKey(page.request, { name: "Bystander" });

  await page.goto(`/keys/${manager.key.id}`);
  await page.getByRole("button", { name: "Disable" }).click();
  const dialog = page.getByRole("dialog", { name: "Disable API key “Leaked manager”?" });
  const cascade = dialog.getByRole("checkbox", { name: "Also disable the key created from this key" });
  await expect(cascade).not.toBeChecked();
  await cascade.check();
  await dialog.getByRole("button", { name: "Disable" }).click();
  await expect(page.getByRole("button", { name: "Enable" })).toBeVisible();

  expect(await whoami(page.request, manager.secret)).toBe(401);
  expect(await whoami(page.request, child.secret)).toBe(401);
  expect(await whoami(page.request, bystander.secret)).toBe(200);
  // The list shows the minted key disabled, created by the manager.
  await page.goto("/keys");
  const row = page.getByRole("row", { name: /Minted by the manager/ });
  await expect(row).toContainText("API key: Leaked manager");
  await expect(row).toContainText("Disabled");

  // Deleting from the list offers the cascade only for a key that created keys.
  await page.getByRole("row", { name: /^Select Leaked manager/ }).getByRole("button", { name: "Delete" }).click();
  let dialog2 = page.getByRole("dialog", { name: "Delete API key “Leaked manager”?" });
  await expect(dialog2.getByRole("checkbox", { name: "Also delete the key created from this key" })).toBeVisible();
  await dialog2.getByRole("button", { name: "Cancel" }).click();
  await page.getByRole("row", { name: /Bystander/ }).getByRole("button", { name: "Delete" }).click();
  dialog2 = page.getByRole("dialog", { name: "Delete API key “Bystander”?" });
  await expect(dialog2.getByRole("button", { name: "Delete" })).toBeVisible();
  await expect(dialog2.getByRole("checkbox")).toHaveCount(0);
});

test("the seed's Tips show on both pages and stay dismissed for this admin", async ({ page, admin }) => {
  const { key } = await createKey(page.request, { name: "Tipped" });
  await page.goto("/keys");
  const tips = page.getByRole("complementary", { name: "Tips" });
  for (const tip of [
    "Use a separate API key per integration (e.g., one for WooCommerce, one for Shopify).",
    "Rotate keys periodically for security.",
    "Delete unused keys to reduce security risks.",
    "Keep your Secret Key private – treat it like a password.",
  ]) await expect(tips.getByRole("listitem").filter({ hasText: tip })).toHaveCount(1);
  await tips.getByRole("button", { name: "Dismiss tips" }).click();
  await expect(tips).toHaveCount(0);
  await page.reload();
  await expect(page.getByRole("button", { name: "Show tips" })).toBeVisible();
  await expect(tips).toHaveCount(0);

  // The details page has its own tips, dismissed separately.
  await page.goto(`/keys/${key.id}`);
  for (const tip of [
    "Use this page to copy your API key for integration into external apps.",
    "Rotate or regenerate keys periodically for better security.",
    "Share keys only with trusted developers or systems.",
  ]) await expect(tips.getByRole("listitem").filter({ hasText: tip })).toHaveCount(1);

  // And they come back on request.
  await page.goto("/keys");
  await page.getByRole("button", { name: "Show tips" }).click();
  await expect(tips).toContainText("Rotate keys periodically for security.");
  await tips.getByRole("button", { name: "Dismiss tips" }).click();

  // Dismissed per admin: another admin in this browser still sees them.
  const bob = { email: "bob@example.com", name: "Bob Builder", password: "bob's long passphrase" };
  rememberSecret(bob.password);
  expect((await page.request.post("/api/v1/admins.create", { data: bob })).status()).toBe(200);
  await page.getByRole("button", { name: "Log out" }).click();
  await page.getByLabel("Email").fill(bob.email);
  await page.getByLabel("Password").fill(bob.password);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByRole("heading", { name: "API Keys" })).toBeVisible();
  await expect(tips).toContainText("Rotate keys periodically for security.");
});
