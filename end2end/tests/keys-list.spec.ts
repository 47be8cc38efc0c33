import { test, expect, createKey, rememberSecret, rustConst, seedKeys, type Server } from "./fixtures";
import type { Page } from "@playwright/test";

const rowOf = (page: Page, name: string) =>
  page.getByRole("row").filter({ has: page.getByRole("link", { name, exact: true }) });

async function grantClipboard(page: Page, server: Server) {
  await page.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.url });
}

async function clipboard(page: Page) {
  return page.evaluate(() => navigator.clipboard.readText());
}

test("Add New creates a key, shows its secret once and copies it @mobile", async ({ page, admin, server, request }) => {
  await grantClipboard(page, server);
  await page.goto("/keys");
  await expect(page.getByText("No API keys yet.")).toBeVisible();
  await expect(page.getByRole("link", { name: "API reference (OpenAPI)" })).toHaveAttribute("href", "/api/v1/openapi.json");
  await expect(page.getByRole("button", { name: "Create your first API key" })).toBeVisible();
  // Nothing to page through: no "Showing 0–0 of 0".
  await expect(page.getByRole("navigation", { name: "Pagination" })).toHaveCount(0);
  await page.getByRole("button", { name: "Add New" }).click();
  const dialog = page.getByRole("dialog", { name: "Add New API key" });
  await dialog.getByRole("button", { name: "Create key" }).click();
  await expect(dialog.getByText("Name is required.")).toBeVisible();
  // Focus goes to the field to fix, and its message goes as soon as it is edited.
  await expect(dialog.getByLabel("Name")).toBeFocused();
  await page.keyboard.type("W");
  await expect(dialog.getByText("Name is required.")).toBeHidden();
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
  // "Test connection": the exact curl for whoami with this key, and the PHP and JS one-liners.
  await created.getByText("Test connection").click();
  const curl = `curl -X POST ${server.url}/api/v1/whoami -H "Authorization: Bearer ${secret}"`;
  await expect(created.getByLabel("curl", { exact: true })).toHaveValue(curl);
  await expect(created.getByLabel("PHP (WordPress, WooCommerce)", { exact: true })).toHaveValue(new RegExp(`^\\$r = wp_remote_post\\('${server.url}/api/v1/whoami'`));
  await expect(created.getByLabel("Node.js (server-side)", { exact: true })).toHaveValue(new RegExp(`Authorization: 'Bearer ${secret}'`));
  await created.getByRole("button", { name: "Copy curl" }).click();
  await expect.poll(() => clipboard(page)).toBe(curl);
  const tried = await request.post(`${server.url}/api/v1/whoami`, { headers: { Authorization: `Bearer ${secret}` } });
  expect(tried.status()).toBe(200);
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

test("a once-only secret asks before its dialog closes uncopied; the wording matches the key", async ({ page, admin, server }) => {
  await grantClipboard(page, server);
  await page.goto("/keys");
  await page.getByRole("button", { name: "Add New" }).click();
  const form = page.getByRole("dialog", { name: "Add New API key" });
  await form.getByLabel("Name").fill("Hash only");
  await form.getByLabel("Recoverable").uncheck();
  await form.getByRole("button", { name: "Create key" }).click();
  const created = page.getByRole("dialog", { name: "API key created" });
  await expect(created).toContainText("This is the only time it is shown");
  rememberSecret((await created.getByLabel("New secret key").textContent())!.trim());
  // Escape (even twice in a row), then Done: each asks first and keeps the secret on screen.
  await page.keyboard.press("Escape");
  await page.keyboard.press("Escape");
  await expect(created).toBeVisible();
  await expect(created.getByLabel("New secret key")).not.toBeEmpty();
  await expect(created.getByRole("alert")).toContainText("You have not copied this key");
  await created.getByRole("button", { name: "Keep it open" }).click();
  await created.getByRole("button", { name: "Done" }).click();
  await expect(created.getByRole("alert")).toContainText("You have not copied this key");
  await created.getByRole("button", { name: "Keep it open" }).click();
  // Once copied, Done closes.
  await created.getByRole("button", { name: "Copy" }).click();
  await expect(created.getByRole("button", { name: "Copied" })).toBeVisible();
  await created.getByRole("button", { name: "Done" }).click();
  await expect(created).toBeHidden();

  // A recoverable key can be revealed later: the dialog says so, and Escape closes it at once.
  await page.getByRole("button", { name: "Add New" }).click();
  await form.getByLabel("Name").fill("Recoverable one");
  await form.getByRole("button", { name: "Create key" }).click();
  await expect(created).toContainText("You can reveal it later on its page.");
  rememberSecret((await created.getByLabel("New secret key").textContent())!.trim());
  await page.keyboard.press("Escape");
  await expect(created).toBeHidden();
  await expect(rowOf(page, "Recoverable one")).toBeVisible();
});

test("at 1280 px every column, Action included, fits beside the longest name the server accepts", async ({ page, admin }) => {
  const doc = await (await page.request.get("/api/v1/openapi.json")).json();
  const nameMax: number = doc.paths["/api/v1/keys.update"].post.requestBody.content["application/json"].schema.properties.name.maxLength;
  const long = "W".repeat(nameMax);
  await createKey(page.request, { name: long });
  await createKey(page.request, { name: "Short" });
  for (const width of [1280, 1440, 1920]) {
    await page.setViewportSize({ width, height: 900 });
    await page.goto("/keys");
    const row = rowOf(page, long);
    await expect(row).toBeVisible();
    const wrap = page.locator(".table-wrap");
    expect(await wrap.evaluate((el) => el.scrollWidth - el.clientWidth)).toBeLessThanOrEqual(0);
    const right = await wrap.evaluate((el) => el.getBoundingClientRect().right);
    for (const name of ["View", "Copy", "Delete"]) {
      const box = (await row.getByRole("button", { name }).boundingBox())!;
      expect(box.x + box.width).toBeLessThanOrEqual(right);
    }
    for (const name of ["Created", "Last Used", "Created By", "Action"]) {
      const box = (await page.getByRole("columnheader", { name, exact: true }).boundingBox())!;
      expect(box.x + box.width).toBeLessThanOrEqual(right);
    }
    // The cut name keeps its whole text as the link's title.
    await expect(row.getByRole("link")).toHaveAttribute("title", long);
  }

  // Every optional column on: it still fits at 1440 and 1920; at 1280 the table may scroll,
  // but Action stays on screen.
  await page.getByText("Columns", { exact: true }).click();
  const picker = page.getByRole("group", { name: "Columns to show" });
  await picker.getByLabel("Project").check();
  await picker.getByLabel("Scopes").check();
  for (const width of [1280, 1440, 1920]) {
    await page.setViewportSize({ width, height: 900 });
    await page.goto("/keys");
    const row = rowOf(page, long);
    await expect(page.getByRole("columnheader", { name: "Scopes" })).toBeVisible();
    const wrap = page.locator(".table-wrap");
    const right = await wrap.evaluate((el) => el.getBoundingClientRect().right);
    if (width > 1280) expect(await wrap.evaluate((el) => el.scrollWidth - el.clientWidth)).toBeLessThanOrEqual(0);
    for (const name of ["View", "Copy", "Delete"]) {
      const box = (await row.getByRole("button", { name }).boundingBox())!;
      expect(box.x + box.width, `${name} at ${width}`).toBeLessThanOrEqual(right);
    }
  }
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

  // A key stored as a hash only is marked, and its View and Copy are disabled and say why.
  const other = rowOf(page, "Hash only");
  await expect(other.getByText("Shown once", { exact: true })).toBeVisible();
  for (const name of ["View", "Copy"]) {
    const button = other.getByRole("button", { name });
    await expect(button).toBeDisabled();
    await expect(button).toHaveAttribute("title", "Shown once at creation; regenerate to get a new secret");
    await button.click({ force: true });
  }
  await page.waitForTimeout(500);
  await expect(page.getByText("can't be revealed")).toHaveCount(0);
  await expect(other).not.toContainText(hidden.secret);
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

test("past the exact count the total reads “about N” and the pages go on without a last one", async ({ page, server, admin }) => {
  const count = rustConst("EXACT_TOTAL_UP_TO") + 50;
  seedKeys(server, count, "Bulk", admin.name);
  await page.goto("/keys");
  const showing = page.getByText(/^Showing 1–10 of about [\d,]+$/);
  await expect(showing).toBeVisible();
  const about = Number((await showing.textContent())!.replace(/.* about /, "").replace(/,/g, ""));
  expect(Math.abs(about - count) / count).toBeLessThan(0.1);
  // No last page is offered, only those around this one; Next goes on.
  await expect(page.getByRole("button", { name: "Page 3" })).toBeVisible();
  await expect(page.getByRole("button", { name: `Page ${Math.ceil(count / 10)}` })).toHaveCount(0);
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.getByText(/^Showing 11–20 of about [\d,]+$/)).toBeVisible();
  // A narrow search is counted exactly again: Bulk shop 123, 1230, 1233, 1236 and 1239.
  await page.getByRole("searchbox", { name: "Search API keys" }).fill("Bulk shop 123");
  await expect(page.getByText("Showing 1–5 of 5")).toBeVisible();
  await expect(page.getByRole("button", { name: "Next" })).toBeDisabled();
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
  // A bar counts the selection, and Clear empties it.
  await page.getByRole("checkbox", { name: "Select One" }).check();
  await expect(page.getByRole("status").filter({ hasText: "1 selected" })).toBeVisible();
  await page.getByRole("button", { name: "Clear selection" }).click();
  await expect(page.getByRole("checkbox", { name: "Select One" })).not.toBeChecked();
  await expect(bulk).toBeDisabled();
  for (const name of ["One", "Two", "Three", "Four"]) await page.getByRole("checkbox", { name: `Select ${name}` }).check();
  await expect(page.getByRole("status").filter({ hasText: "4 selected" })).toBeVisible();
  await bulk.click();
  const four = page.getByRole("dialog", { name: "Delete 4 API keys?" });
  await expect(four).toContainText("“Four”, “Three”, “Two” and 1 more.");
  await four.getByRole("button", { name: "Cancel" }).click();
  await page.getByRole("checkbox", { name: "Select Four" }).uncheck();
  await expect(bulk).toBeEnabled();
  await bulk.click();
  const confirm = page.getByRole("dialog", { name: "Delete 3 API keys?" });
  // It names what goes (newest first, as listed).
  await expect(confirm).toContainText("“Three”, “Two”, “One”.");
  await confirm.getByRole("button", { name: "Delete" }).click();
  await expect(page.getByText("Showing 1–1 of 1")).toBeVisible();
  await expect(page.getByRole("link", { name: "Four" })).toBeVisible();
  await expect(bulk).toBeDisabled();

  // A key deleted from its row leaves the selection.
  await createKey(page.request, { name: "Five" });
  await page.reload();
  await page.getByRole("checkbox", { name: "Select Four" }).check();
  await page.getByRole("checkbox", { name: "Select Five" }).check();
  await rowOf(page, "Five").getByRole("button", { name: "Delete" }).click();
  await page.getByRole("dialog", { name: "Delete API key “Five”?" }).getByRole("button", { name: "Delete" }).click();
  await expect(rowOf(page, "Five")).toHaveCount(0);
  await expect(page.getByRole("status").filter({ hasText: "1 selected" })).toBeVisible();
  await bulk.click();
  await expect(page.getByRole("dialog", { name: "Delete 1 API key?" })).toContainText("“Four”.");
  await page.getByRole("dialog", { name: "Delete 1 API key?" }).getByRole("button", { name: "Cancel" }).click();
  await page.getByRole("button", { name: "Clear selection" }).click();

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
  // Rows are no tab stops of their own: Tab goes from the row's link to its buttons.
  await expect(rowOf(page, "Solo")).not.toHaveAttribute("tabindex", /.*/);
  await rowOf(page, "Solo").getByRole("link", { name: "Solo" }).focus();
  await page.keyboard.press("Tab");
  await expect(rowOf(page, "Solo").getByRole("button", { name: "View" })).toBeFocused();
  // Enter on the name opens the details, and focus moves to their heading.
  await page.keyboard.press("Shift+Tab");
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: "Solo", level: 1 })).toBeFocused();
  // Back, too, lands on the list's heading.
  await page.getByRole("button", { name: "Back" }).click();
  await expect(page.getByRole("heading", { name: "API Keys", level: 1 })).toBeFocused();
});

test("the focus ring has at least 3:1 contrast against the page", async ({ page, admin }) => {
  await createKey(page.request, { name: "Ringed" });
  await page.goto("/keys");
  await expect(page.getByRole("link", { name: "Ringed" })).toBeVisible();
  // The first dozen stops: skip link, navigation, user menu, page buttons, search, filters, rows.
  for (let stop = 0; stop < 12; stop++) {
    await page.keyboard.press("Tab");
    const ring = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement;
      const style = getComputedStyle(el);
      const lum = (rgb: number[]) => {
        const [r, g, b] = rgb.map((v) => {
          const c = v / 255;
          return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
        });
        return 0.2126 * r + 0.7152 * g + 0.0722 * b;
      };
      const parse = (s: string) => s.match(/[\d.]+/g)!.slice(0, 4).map(Number);
      // The ring: the outermost box-shadow, or else a visible outline. It must be opaque.
      const shadow = style.boxShadow !== "none" ? style.boxShadow.split(/,(?![^(]*\))/).pop()!.trim().match(/rgba?\([^)]*\)/)![0] : null;
      const color = shadow ?? style.outlineColor;
      const [r, g, b, a] = parse(color);
      const bg = parse(getComputedStyle(document.documentElement).backgroundColor);
      const [l1, l2] = [lum([r, g, b]), lum(bg.slice(0, 3))].sort((x, y) => y - x);
      return { what: `${el.tagName} ${el.textContent?.trim().slice(0, 20)}`, ratio: (l1 + 0.05) / (l2 + 0.05), alpha: a ?? 1 };
    });
    expect(ring.alpha, ring.what).toBe(1);
    expect(ring.ratio, ring.what).toBeGreaterThanOrEqual(3);
  }
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

test("a key made to expire in 3 days says so, rounded to the nearest day", async ({ page, admin }) => {
  const inDays = (d: number) => new Date(Date.now() + d * 86_400_000).toISOString();
  await createKey(page.request, { name: "Three days", expires_at: inDays(3) });
  await createKey(page.request, { name: "Five and a half", expires_at: inDays(5.6) });
  await page.goto("/keys");
  await expect(rowOf(page, "Three days")).toContainText("Expires in 3 days");
  await expect(rowOf(page, "Five and a half")).toContainText("Expires in 6 days");
});

test("on a phone each key is a card, and the first is in view without scrolling @mobile", async ({ page, admin }) => {
  await page.setViewportSize({ width: 360, height: 740 });
  for (const name of ["Alpha shop", "Beta shop", "Gamma shop with a rather long name for a phone"]) await createKey(page.request, { name });
  await page.goto("/keys");
  const first = rowOf(page, "Gamma shop with a rather long name for a phone");
  await expect(first).toBeVisible();
  const card = (await first.boundingBox())!;
  expect(card.y + card.height).toBeLessThanOrEqual(740);
  expect(card.x + card.width).toBeLessThanOrEqual(360);
  // Nothing needs sideways scrolling: every control of the card is on screen.
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
  for (const name of ["View", "Copy", "Delete"]) {
    const box = (await first.getByRole("button", { name }).boundingBox())!;
    expect(box.x + box.width).toBeLessThanOrEqual(360);
    expect(box.y + box.height).toBeLessThanOrEqual(740);
  }
  await expect(first).toContainText("Never");
  await expect(first).toContainText("Ann Admin");
  await expect(first.getByRole("checkbox", { name: /^Select / })).toBeVisible();
});

test("Expires, Project and Scopes columns: shown or hidden, remembered, Expires sortable", async ({ page, admin }) => {
  await createKey(page.request, { name: "Writer forever", project: "shop.example", scopes: ["keys:read", "keys:write"] });
  await createKey(page.request, { name: "Reader forever", scopes: ["keys:read"] });
  await createKey(page.request, { name: "Soon gone", expires_at: new Date(Date.now() + 3 * 86_400_000).toISOString() });
  await page.goto("/keys");
  // Expires is shown by default; a key that can change keys and never expires is flagged.
  await expect(page.getByRole("columnheader", { name: "Expires" })).toBeVisible();
  await expect(page.getByRole("columnheader", { name: "Project" })).toHaveCount(0);
  await expect(rowOf(page, "Writer forever").getByRole("img", { name: "Can change keys and never expires" })).toBeVisible();
  await expect(rowOf(page, "Reader forever").getByRole("img", { name: "Can change keys and never expires" })).toHaveCount(0);
  await expect(rowOf(page, "Reader forever")).toContainText("Never");

  // Expires sorts like the other dated columns.
  await page.getByRole("button", { name: "Expires" }).click();
  await expect(page).toHaveURL(/sort=expires/);

  // Project and Scopes on request, and the choice survives a reload.
  await page.getByText("Columns", { exact: true }).click();
  const picker = page.getByRole("group", { name: "Columns to show" });
  await picker.getByLabel("Project").check();
  await picker.getByLabel("Scopes").check();
  await picker.getByLabel("Expires").uncheck();
  await page.reload();
  await expect(page.getByRole("columnheader", { name: "Project" })).toBeVisible();
  await expect(page.getByRole("columnheader", { name: "Expires" })).toHaveCount(0);
  await expect(rowOf(page, "Writer forever")).toContainText("shop.example");
  await expect(rowOf(page, "Writer forever").getByRole("list", { name: "Scopes" }).getByRole("listitem")).toHaveText(["keys:read", "keys:write"]);
});

test("a revealed secret hides itself again after 30 seconds", async ({ page, admin }) => {
  await page.clock.install();
  const { key, secret } = await createKey(page.request, { name: "Peek" });
  await page.goto("/keys");
  const row = rowOf(page, "Peek");
  await row.getByRole("button", { name: "View" }).click();
  await expect(row).toContainText(secret);
  await page.clock.fastForward(25_000);
  await expect(row).toContainText(secret);
  await page.clock.fastForward(6_000);
  await expect(row).not.toContainText(secret);
  await expect(row.getByRole("button", { name: "View" })).toHaveAttribute("aria-pressed", "false");
  // On the details page, too.
  await page.goto(`/keys/${key.id}`);
  await page.getByRole("button", { name: "Reveal" }).click();
  await expect(page.getByText(secret)).toBeVisible();
  await page.clock.fastForward(31_000);
  await expect(page.getByText(secret)).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Reveal" })).toBeVisible();
});

test("a toast never covers the pagination @mobile", async ({ page, admin }) => {
  for (let i = 1; i <= 12; i++) await createKey(page.request, { name: `Shop ${String(i).padStart(2, "0")}` });
  // Short windows, scrolled to the end, Tips dismissed: the pagination is at the bottom.
  await page.goto("/keys");
  await page.getByRole("button", { name: "Dismiss tips" }).click();
  for (const [width, height] of [[1280, 600], [360, 640]]) {
    await page.setViewportSize({ width, height });
    await page.goto("/keys");
    const pagination = page.getByRole("navigation", { name: "Pagination" });
    await pagination.scrollIntoViewIfNeeded();
    await page.getByRole("row").nth(1).getByRole("button", { name: "Delete" }).click();
    await page.getByRole("dialog", { name: /^Delete API key/ }).getByRole("button", { name: "Delete" }).click();
    const toast = page.getByRole("status").getByText(/^Deleted “Shop/);
    await expect(toast.first()).toBeVisible();
    await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    await page.waitForTimeout(100);
    const t = (await toast.first().boundingBox())!;
    const p = (await pagination.boundingBox())!;
    const overlap = t.x < p.x + p.width && p.x < t.x + t.width && t.y < p.y + p.height && p.y < t.y + t.height;
    expect(overlap, `toast ${JSON.stringify(t)} over pagination ${JSON.stringify(p)} at ${width}px`).toBe(false);
  }
});

test("a long creator name is cut with its whole text as the title, and shown whole while its row holds focus", async ({ page, admin }) => {
  const long = { email: "long@example.com", name: "C".repeat(100), password: "a long enough passphrase" };
  rememberSecret(long.password);
  expect((await page.request.post("/api/v1/admins.create", { data: long })).status()).toBe(200);
  expect((await page.request.post("/api/v1/auth.login", { data: { email: long.email, password: long.password } })).status()).toBe(200);
  await createKey(page.request, { name: "By a long name" });
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto("/keys");
  const row = rowOf(page, "By a long name");
  const creator = row.getByRole("cell").filter({ hasText: long.name });
  await expect(creator).toHaveAttribute("title", long.name);
  const cut = () => creator.evaluate((el) => el.scrollWidth > el.clientWidth);
  expect(await cut()).toBe(true);
  await row.getByRole("link", { name: "By a long name" }).focus();
  expect(await cut()).toBe(false);
});
