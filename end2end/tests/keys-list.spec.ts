import { test, expect, createKey, rememberSecret, type Server } from "./fixtures";
import type { Page } from "@playwright/test";

const rowOf = (page: Page, name: string) =>
  page.getByRole("row").filter({ has: page.getByRole("link", { name, exact: true }) });

async function grantClipboard(page: Page, server: Server) {
  await page.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.url });
}

async function clipboard(page: Page) {
  return page.evaluate(() => navigator.clipboard.readText());
}

test("Add New creates a key, shows its secret once and copies it @mobile", async ({ page, admin, server }) => {
  await grantClipboard(page, server);
  await page.goto("/keys");
  await expect(page.getByText("No API keys yet.")).toBeVisible();
  await page.getByRole("button", { name: "Add New" }).click();
  const dialog = page.getByRole("dialog", { name: "Add New API key" });
  await dialog.getByRole("button", { name: "Create key" }).click();
  await expect(dialog.getByText("Name is required.")).toBeVisible();
  await dialog.getByLabel("Name").fill("WooCommerce");
  await dialog.getByLabel("Project").fill("licenseshipper.com");
  await dialog.getByLabel(/keys:verify/).check();
  await dialog.getByRole("button", { name: "Create key" }).click();

  const created = page.getByRole("dialog", { name: "API key created" });
  await expect(created.getByText("Store it now: treat it like a password.")).toBeVisible();
  const secret = (await created.getByLabel("New secret key").textContent())!.trim();
  rememberSecret(secret);
  expect(secret).toMatch(/^lsk_[0-9A-Za-z]{38}$/);
  await created.getByRole("button", { name: "Copy" }).click();
  await expect(created.getByRole("button", { name: "Copied" })).toBeVisible();
  expect(await clipboard(page)).toBe(secret);
  await created.getByRole("button", { name: "Done" }).click();
  await expect(created).toBeHidden();

  const first = page.getByRole("row").nth(1);
  await expect(first).toContainText("WooCommerce");
  await expect(first).toContainText(`${secret.slice(0, 8)}••••••••${secret.slice(-4)}`);
  await expect(first).toContainText("Never");
  await expect(first).toContainText("Ann Admin");

  // And delete it again from the row.
  await rowOf(page, "WooCommerce").getByRole("button", { name: "Delete" }).click();
  const confirm = page.getByRole("dialog", { name: "Delete API key “WooCommerce”?" });
  await confirm.getByRole("button", { name: "Delete" }).click();
  await expect(rowOf(page, "WooCommerce")).toHaveCount(0);
  await expect(page.getByText("No API keys yet.")).toBeVisible();
});

test("View reveals and hides the secret in its row; Copy copies it", async ({ page, admin, server }) => {
  await grantClipboard(page, server);
  const { secret } = await createKey(page.request, { name: "Shopify" });
  const hidden = await createKey(page.request, { name: "Hash only", recoverable: false });
  await page.goto("/keys");
  const row = rowOf(page, "Shopify");
  await expect(row).not.toContainText(secret);
  const view = row.getByRole("button", { name: "View" });
  await view.click();
  await expect(row).toContainText(secret);
  await expect(view).toHaveAttribute("aria-pressed", "true");
  await view.click();
  await expect(row).not.toContainText(secret);
  await row.getByRole("button", { name: "Copy" }).click();
  await expect(page.getByRole("status").getByText("Copied")).toBeVisible();
  expect(await clipboard(page)).toBe(secret);

  const other = rowOf(page, "Hash only");
  await other.getByRole("button", { name: "View" }).click();
  await expect(other).toContainText("This key can't be revealed");
  expect(hidden.secret).toBeTruthy();
});

test("search by name and by creator, server-side and debounced", async ({ page, admin }) => {
  await createKey(page.request, { name: "WooCommerce EU" });
  await createKey(page.request, { name: "Shopify" });
  const { secret } = await createKey(page.request, { name: "Provisioner", scopes: ["keys:write", "keys:read"] });
  const res = await page.request.post("/api/v1/keys.create", {
    data: { name: "made by automation" },
    headers: { Authorization: `Bearer ${secret}` },
  });
  rememberSecret((await res.json()).secret);
  await page.goto("/keys");
  const search = page.getByRole("searchbox", { name: "Search API keys" });
  await expect(search).toHaveAttribute("placeholder", "Search by name or creator");
  await search.fill("woo");
  await expect(page).toHaveURL(/q=woo/);
  await expect(page.getByRole("link", { name: "WooCommerce EU" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Shopify" })).toHaveCount(0);

  await search.fill("API key: Provisioner");
  await expect(page.getByRole("link", { name: "made by automation" })).toBeVisible();
  await expect(page.getByRole("row", { name: /made by automation/ })).toContainText("API key: Provisioner");
  await expect(page.getByRole("link", { name: "Shopify" })).toHaveCount(0);

  await search.fill("ann admin");
  await expect(page.getByText("Showing 1–3 of 3")).toBeVisible();

  await search.fill("zzz nothing");
  await expect(page.getByText("No API keys match “zzz nothing”")).toBeVisible();
});

test("30+ keys paginate with correct totals and page sizes", async ({ page, admin }) => {
  for (let i = 1; i <= 33; i++) await createKey(page.request, { name: `Key ${String(i).padStart(2, "0")}` });
  await page.goto("/keys");
  await expect(page.getByText("Showing 1–10 of 33")).toBeVisible();
  await expect(page.getByRole("row")).toHaveCount(11);
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.getByText("Showing 11–20 of 33")).toBeVisible();
  await page.getByRole("button", { name: "Page 4" }).click();
  await expect(page.getByText("Showing 31–33 of 33")).toBeVisible();
  await expect(page.getByRole("button", { name: "Next" })).toBeDisabled();
  await expect(page.getByRole("button", { name: "Page 4" })).toHaveAttribute("aria-current", "page");
  await page.getByLabel("Rows per page").selectOption("25");
  await expect(page.getByText("Showing 1–25 of 33")).toBeVisible();
  await page.getByRole("button", { name: "Previous" }).isDisabled();
  await page.goBack();
  await expect(page.getByText("Showing 31–33 of 33")).toBeVisible();
});

test("sort by Last Used and filter Never used", async ({ page, admin }) => {
  const a = await createKey(page.request, { name: "Alpha" });
  const b = await createKey(page.request, { name: "Bravo" });
  await createKey(page.request, { name: "Charlie" });
  await page.request.post("/api/v1/whoami", { headers: { Authorization: `Bearer ${a.secret}` } });
  await new Promise((r) => setTimeout(r, 50));
  await page.request.post("/api/v1/whoami", { headers: { Authorization: `Bearer ${b.secret}` } });
  await page.waitForTimeout(1300); // usage is written behind, at least every second
  await page.goto("/keys");
  const header = page.getByRole("columnheader", { name: "Last Used" });
  await page.getByRole("button", { name: "Last Used" }).click();
  await expect(header).toHaveAttribute("aria-sort", "descending");
  await expect(page.getByRole("row").nth(1)).toContainText("Bravo");
  await expect(page.getByRole("row").nth(2)).toContainText("Alpha");
  await expect(page.getByRole("row").nth(3)).toContainText("Charlie");
  await expect(page.getByRole("row").nth(1)).toContainText("just now");
  await page.getByRole("button", { name: "Last Used" }).click();
  await expect(header).toHaveAttribute("aria-sort", "ascending");
  await expect(page.getByRole("row").nth(1)).toContainText("Charlie");
  await expect(page.getByRole("row").nth(3)).toContainText("Bravo");

  await page.getByRole("button", { name: "Never used" }).click();
  await expect(page).toHaveURL(/filter=never_used/);
  await expect(page.getByText("Showing 1–1 of 1")).toBeVisible();
  await expect(page.getByRole("link", { name: "Charlie" })).toBeVisible();
});

test("bulk delete three keys atomically, then the selection clears", async ({ page, admin }) => {
  for (const name of ["One", "Two", "Three", "Four"]) await createKey(page.request, { name });
  await page.goto("/keys");
  const bulk = page.getByRole("button", { name: "Bulk Delete" });
  await expect(bulk).toBeDisabled();
  for (const name of ["One", "Two", "Three"]) await page.getByRole("checkbox", { name: `Select ${name}` }).check();
  await expect(bulk).toBeEnabled();
  await bulk.click();
  const confirm = page.getByRole("dialog", { name: "Delete 3 API keys?" });
  await confirm.getByRole("button", { name: "Delete" }).click();
  await expect(page.getByText("Showing 1–1 of 1")).toBeVisible();
  await expect(page.getByRole("link", { name: "Four" })).toBeVisible();
  await expect(bulk).toBeDisabled();

  // Select all on this page.
  await page.getByRole("checkbox", { name: "Select all on this page" }).check();
  await expect(page.getByRole("checkbox", { name: "Select Four" })).toBeChecked();
});

test("Escape closes a dialog and focus returns to the button", async ({ page, admin }) => {
  await createKey(page.request, { name: "Solo" });
  await page.goto("/keys");
  const del = rowOf(page, "Solo").getByRole("button", { name: "Delete" });
  await del.click();
  await expect(page.getByRole("dialog", { name: "Delete API key “Solo”?" })).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(page.getByRole("dialog")).toHaveCount(0);
  await expect(del).toBeFocused();
  // Enter on a focused row opens its details.
  await rowOf(page, "Solo").focus();
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: "Solo" })).toBeVisible();
});

test("reload and back restore search, filter, sort and page from the URL", async ({ page, admin }) => {
  for (let i = 1; i <= 12; i++) await createKey(page.request, { name: `Shop ${String(i).padStart(2, "0")}` });
  await page.goto("/keys");
  await page.getByRole("button", { name: "Name" }).click();
  await page.getByRole("searchbox", { name: "Search API keys" }).fill("shop");
  await expect(page).toHaveURL(/q=shop/);
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.getByText("Showing 11–12 of 12")).toBeVisible();
  const url = page.url();
  expect(url).toMatch(/sort=name&order=asc/);
  await page.reload();
  await expect(page.getByText("Showing 11–12 of 12")).toBeVisible();
  await expect(page.getByRole("searchbox", { name: "Search API keys" })).toHaveValue("shop");
  await expect(page.getByRole("columnheader", { name: "Name" })).toHaveAttribute("aria-sort", "ascending");
  await expect(page.getByRole("row").nth(1)).toContainText("Shop 11");
  await page.goBack();
  await expect(page.getByText("Showing 1–10 of 12")).toBeVisible();
  await page.goto(url);
  await expect(page.getByRole("row").nth(2)).toContainText("Shop 12");
});

test("a key named like markup renders as text", async ({ page, admin }) => {
  let alerted = false;
  page.on("dialog", async (d) => {
    alerted = true;
    await d.dismiss();
  });
  const name = "<img src=x onerror=alert(1)>";
  await createKey(page.request, { name });
  await page.goto("/keys");
  await expect(page.getByRole("link", { name, exact: true })).toBeVisible();
  await expect(page.locator("img")).toHaveCount(0);
  await page.getByRole("link", { name, exact: true }).click();
  await expect(page.getByRole("heading", { name })).toBeVisible();
  expect(alerted).toBe(false);
});
