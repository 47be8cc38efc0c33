// Key hygiene in the app: read-only viewers see keys without the controls they may not use,
// admins give roles, and a key's IP allowlist is set in Add New and on the details page.
import * as fs from "node:fs";
import { test, expect, createKey, rememberSecret, captureSessionCookie } from "./fixtures";

const rowOf = (page: import("@playwright/test").Page, name: string) =>
  page.getByRole("row").filter({ has: page.getByRole("link", { name, exact: true }) });

test("a viewer sees keys, admins and details but no control that changes or reveals anything", async ({ page, admin, browser, server }) => {
  await createKey(page.request, { name: "Woo" });
  const vic = { email: "vic@example.com", name: "Vic Viewer", password: "vic's long passphrase" };
  rememberSecret(vic.password);

  // The admin adds Vic as a viewer on the Admins page.
  await page.goto("/admins");
  await page.getByLabel("Email").fill(vic.email);
  await page.getByLabel("Name").fill(vic.name);
  await page.getByLabel("Password").fill(vic.password);
  await page.getByRole("radio", { name: /^Viewer/ }).check();
  await page.getByRole("button", { name: "Add admin" }).click();
  await expect(page.getByRole("row", { name: /Vic Viewer/ })).toContainText("Viewer");

  const other = await browser.newContext({ baseURL: server.url });
  const vp = await other.newPage();
  await vp.goto("/login");
  await vp.getByLabel("Email").fill(vic.email);
  await vp.getByLabel("Password").fill(vic.password);
  await vp.getByRole("button", { name: "Log in" }).click();
  await expect(vp.getByRole("heading", { name: "API Keys" })).toBeVisible();
  await captureSessionCookie(vp);

  // The list: the key and its masked secret, no Add New, Bulk Delete, selection, View, Copy or Delete.
  await expect(rowOf(vp, "Woo")).toBeVisible();
  await expect(rowOf(vp, "Woo")).toContainText("lsk_");
  for (const name of ["Add New", "Bulk Delete"]) await expect(vp.getByRole("button", { name })).toHaveCount(0);
  await expect(vp.getByRole("checkbox", { name: "Select Woo" })).toHaveCount(0);
  for (const name of ["View", "Copy", "Delete"]) await expect(rowOf(vp, "Woo").getByRole("button", { name })).toHaveCount(0);

  // The details: every field, no Reveal or Copy, no actions.
  await rowOf(vp, "Woo").getByRole("link", { name: "Woo" }).click();
  await expect(vp.getByRole("heading", { name: "Woo" })).toBeVisible();
  await expect(vp.getByText("Secret Key")).toBeVisible();
  for (const name of ["Reveal", "Copy", "Edit", "Regenerate", "Disable", "Delete"]) {
    await expect(vp.getByRole("button", { name, exact: true })).toHaveCount(0);
  }

  // The Admins page: the list and roles, no form and no buttons.
  await vp.getByRole("link", { name: "Admins" }).click();
  await expect(vp.getByRole("row", { name: /Ann Admin/ })).toContainText("Admin");
  await expect(vp.getByRole("button", { name: "Add admin" })).toHaveCount(0);
  await expect(vp.getByRole("button", { name: /^(Disable|Make) / })).toHaveCount(0);

  // The audit log and the settings: seen, with Export CSV, and nothing to save.
  await vp.getByRole("link", { name: "Audit log" }).click();
  await expect(vp.getByRole("table", { name: "Audit events, newest first" }).getByRole("row").nth(1)).toBeVisible();
  await expect(vp.getByRole("button", { name: "Export CSV" })).toBeVisible();
  await vp.getByRole("link", { name: "Settings" }).click();
  await expect(vp.getByLabel("Maximum lifetime (days)")).toBeDisabled();
  await expect(vp.getByRole("button", { name: "Save policy" })).toHaveCount(0);

  // Promoted by the admin, Vic gets the controls on the next load.
  await page.reload();
  await page.getByRole("button", { name: "Make admin: Vic Viewer" }).click();
  await expect(page.getByRole("status").getByText("Vic Viewer is now admin")).toBeVisible();
  await expect(page.getByRole("row", { name: /Vic Viewer/ })).toContainText("Admin");
  await vp.goto("/keys");
  await expect(vp.getByRole("button", { name: "Add New" })).toBeVisible();
  await other.close();
});

test("an IP allowlist is set in Add New, shown on the details page and edited there", async ({ page, admin }) => {
  await page.goto("/keys");
  await page.getByRole("button", { name: "Add New" }).click();
  const add = page.getByRole("dialog", { name: "Add New API key" });
  await add.getByLabel("Name").fill("Office only");
  // A bad range is named under the field, and nothing is created.
  await add.getByLabel("Allowed IP ranges").fill("10.0.0.0/8, office");
  await add.getByRole("button", { name: "Create key" }).click();
  await expect(add.getByText(/“office” is not an IP range/)).toBeVisible();
  await expect(add.getByLabel("Allowed IP ranges")).toHaveAttribute("aria-invalid", "true");
  await add.getByLabel("Allowed IP ranges").fill("10.1.2.3/8, 2001:db8::1/32");
  await add.getByRole("button", { name: "Create key" }).click();
  const created = page.getByRole("dialog", { name: "API key created" });
  await expect(created).toBeVisible();
  rememberSecret((await created.getByLabel("New secret key").textContent())!.trim());
  await created.getByRole("button", { name: "Copy" }).click();
  await expect(created.getByRole("button", { name: "Copied" })).toBeVisible();
  await created.getByRole("button", { name: "Done" }).click();

  await rowOf(page, "Office only").getByRole("link", { name: "Office only" }).click();
  await expect(page.getByRole("definition").filter({ hasText: "10.0.0.0/8, 2001:db8::/32" })).toBeVisible();

  await page.getByRole("button", { name: "Edit" }).click();
  const edit = page.getByRole("dialog", { name: "Edit API key" });
  await expect(edit.getByLabel("Allowed IP ranges")).toHaveValue("10.0.0.0/8, 2001:db8::/32");
  await edit.getByLabel("Allowed IP ranges").fill("");
  await edit.getByRole("button", { name: "Save" }).click();
  await expect(edit).toBeHidden();
  await expect(page.getByRole("definition").filter({ hasText: "Any address" })).toBeVisible();
});

test("the audit log filters by action, actor, key and date, pages, and each key links to its part", async ({ page, admin }) => {
  const { key } = await createKey(page.request, { name: "Woo" });
  await createKey(page.request, { name: "Other" });
  expect((await page.request.post("/api/v1/keys.disable", { data: { id: key.id } })).status()).toBe(200);
  await page.goto("/audit");
  await expect(page.getByRole("heading", { name: "Audit log" })).toBeVisible();
  const table = page.getByRole("table", { name: "Audit events, newest first" });
  await expect(table.getByRole("row").nth(1)).toContainText("Disabled");

  // By action.
  await page.getByLabel("Action").selectOption({ label: "Sign-ins and sign-outs" });
  await expect(page).toHaveURL(/action=auth\./);
  await expect(table.getByRole("row").filter({ hasText: "Disabled" })).toHaveCount(0);
  await expect(table.getByRole("row").filter({ hasText: "Signed in" }).first()).toBeVisible();
  await page.getByLabel("Action").selectOption({ label: "All actions" });

  // By actor: nobody matches, then Ann does.
  await page.getByLabel("Actor").fill("nobody at all");
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page.getByText("No events match these filters.")).toBeVisible();
  await page.getByLabel("Actor").fill("ann");
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(table.getByRole("row").nth(1)).toContainText("Ann Admin");

  // From the key's history to its events only.
  await page.goto(`/keys/${key.id}`);
  await page.getByRole("link", { name: "Open in the audit log" }).click();
  await expect(page).toHaveURL(new RegExp(`/audit\\?key=${key.id}`));
  await expect(table.getByRole("row")).toHaveCount(3); // header, Disabled, Created
  await expect(table.getByRole("row").filter({ hasText: "Other" })).toHaveCount(0);

  // A date range in the future shows nothing.
  await page.getByLabel("From").fill("2099-01-01");
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page.getByText("No events match these filters.")).toBeVisible();
  await page.getByRole("button", { name: "Show every key" }).click();
  await expect(page).not.toHaveURL(/key=/);

  // CSV export of what the filters show.
  await page.getByLabel("From").fill("");
  await page.getByRole("button", { name: "Apply" }).click();
  const download = page.waitForEvent("download");
  await page.getByRole("button", { name: "Export CSV" }).click();
  const file = await download;
  expect(file.suggestedFilename()).toBe("audit-log.csv");
  const text = fs.readFileSync((await file.path())!, "utf8");
  expect(text.split("\n")[0]).toBe("at,actor_kind,actor,action,key_id,key_name,ip,detail,id");
  expect(text).toContain("key.disabled");
});

test("Load more pages through a long audit log", async ({ page, admin }) => {
  for (let i = 0; i < 55; i++) await createKey(page.request, { name: `bulk ${i}` });
  await page.goto("/audit?action=key.");
  const rows = page.getByRole("table", { name: "Audit events, newest first" }).getByRole("row");
  await expect(rows).toHaveCount(51);
  await page.getByRole("button", { name: "Load more" }).click();
  await expect(rows).toHaveCount(56);
  await expect(page.getByRole("button", { name: "Load more" })).toHaveCount(0);
});

test("the key list exports what is searched and filtered, never a secret", async ({ page, admin }) => {
  const woo = await createKey(page.request, { name: "Woo EU" });
  await createKey(page.request, { name: "Shopify" });
  await page.goto("/keys?q=woo");
  await expect(page.getByRole("link", { name: "Woo EU" })).toBeVisible();
  const download = page.waitForEvent("download");
  await page.getByRole("button", { name: "Export CSV" }).click();
  const file = await download;
  expect(file.suggestedFilename()).toBe("api-keys.csv");
  const text = fs.readFileSync((await file.path())!, "utf8");
  const lines = text.trim().split("\n");
  expect(lines).toHaveLength(2);
  expect(lines[1]).toContain("Woo EU");
  expect(text).not.toContain(woo.secret);
});

test("settings set the key policy, and Add New then gets the default expiry", async ({ page, admin }) => {
  await page.goto("/settings");
  await page.getByLabel("Maximum lifetime (days)").fill("30");
  await page.getByLabel("Default expiry (days)").fill("60");
  await page.getByRole("button", { name: "Save policy" }).click();
  // A prompt for the password may come first (sudo mode): the session is fresh here.
  await expect(page.getByText("The default expiry cannot be longer than the maximum lifetime (30 days).").first()).toBeVisible();
  await expect(page.getByLabel("Default expiry (days)")).toHaveAttribute("aria-invalid", "true");
  await page.getByLabel("Default expiry (days)").fill("5");
  await page.getByRole("radio", { name: /Regenerate the key/ }).check();
  await page.getByRole("button", { name: "Save policy" }).click();
  await expect(page.getByRole("status").getByText("Key policy saved")).toBeVisible();
  await expect(page.getByText(/Last changed .* by Ann Admin/)).toBeVisible();

  // A key made without an expiry now expires in 5 days, and shows as expiring soon.
  await createKey(page.request, { name: "Short lived" });
  await page.goto("/keys");
  await page.getByRole("button", { name: "Expiring soon" }).click();
  await expect(rowOf(page, "Short lived")).toContainText("Expires in");
  await page.goto("/settings");
  await expect(page.getByLabel("Maximum lifetime (days)")).toHaveValue("30");
  await expect(page.getByRole("radio", { name: /Regenerate the key/ })).toBeChecked();
});

test("a key that can change keys and never expires is flagged in the list and on its page", async ({ page, admin }) => {
  const { key } = await createKey(page.request, { name: "Forever writer", scopes: ["keys:write"] });
  await createKey(page.request, { name: "Forever reader", scopes: ["keys:read"] });
  await page.goto("/keys");
  await page.getByText("Columns", { exact: true }).click();
  await page.getByRole("group", { name: "Columns to show" }).getByRole("checkbox", { name: "Expires" }).check();
  await expect(rowOf(page, "Forever writer").getByRole("img", { name: "Can change keys and never expires" })).toBeVisible();
  await expect(rowOf(page, "Forever reader").getByRole("img", { name: "Can change keys and never expires" })).toHaveCount(0);
  await page.goto(`/keys/${key.id}`);
  await expect(page.getByRole("note")).toContainText("can change other keys and never expires");
});

test("an admin reports a key as leaked: it stops, and the list and details say where it was found", async ({ page, admin }) => {
  const { key, secret } = await createKey(page.request, { name: "Pasted key" });
  await page.goto(`/keys/${key.id}`);
  await page.getByRole("button", { name: "Report as leaked" }).click();
  const dialog = page.getByRole("dialog", { name: "Report as leaked" });
  await dialog.getByLabel("Where was it found?").fill("https://gist.example/abc");
  await dialog.getByRole("button", { name: "Report as leaked" }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByText("Leaked — found at https://gist.example/abc")).toBeVisible();
  await expect(page.getByRole("heading", { name: "Pasted key" }).locator("..")).toContainText("Disabled");
  const who = await page.request.post("/api/v1/whoami", { headers: { Authorization: `Bearer ${secret}` } });
  expect(who.status()).toBe(401);
  await page.goto("/keys");
  await expect(rowOf(page, "Pasted key")).toContainText("Leaked — found at https://gist.example/abc");
});
