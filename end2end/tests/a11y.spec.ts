// axe-core (injected by @axe-core/playwright) finds no WCAG 2.x A/AA violation on the pages and
// dialogs an admin uses, at desktop width and on a phone.
import AxeBuilder from "@axe-core/playwright";
import type { Page } from "@playwright/test";
import { test, expect, createKey, ADMIN } from "./fixtures";

async function expectNoViolations(page: Page, what: string) {
  const results = await new AxeBuilder({ page })
    .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"])
    .analyze();
  const found = results.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  expect(found, what).toEqual([]);
}

test("login page", async ({ page, admin }) => {
  await page.context().clearCookies();
  await page.goto("/login");
  await expect(page.getByRole("button", { name: "Log in" })).toBeVisible();
  await expectNoViolations(page, "login");
  // With an error shown, too.
  await page.getByLabel("Email").fill(ADMIN.email);
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "incorrect" })).toBeVisible();
  await expectNoViolations(page, "login with an error");
});

for (const width of [1280, 360]) {
  test(`keys list, Add New and the delete confirmation at ${width} px`, async ({ page, admin }) => {
    await page.setViewportSize({ width, height: 900 });
    await createKey(page.request, { name: "x".repeat(100), scopes: ["keys:read"] });
    await createKey(page.request, { name: "Hash only", recoverable: false });
    await createKey(page.request, { name: "Soon", expires_at: new Date(Date.now() + 2 * 86_400_000).toISOString() });
    await page.goto("/keys");
    await expect(page.getByRole("link", { name: "Soon" })).toBeVisible();
    await page.getByRole("checkbox", { name: "Select Soon" }).check();
    await expectNoViolations(page, `list at ${width}`);

    await page.getByRole("button", { name: "Add New" }).click();
    const add = page.getByRole("dialog", { name: "Add New API key" });
    await add.getByRole("button", { name: "Create key" }).click();
    await expect(add.getByText("Name is required.")).toBeVisible();
    await expectNoViolations(page, `Add New with an error at ${width}`);
    await add.getByLabel("Name").fill("Fresh");
    await add.getByRole("button", { name: "Create key" }).click();
    await expect(page.getByRole("dialog", { name: "API key created" })).toBeVisible();
    await expectNoViolations(page, `new secret at ${width}`);
    await page.getByRole("dialog", { name: "API key created" }).getByRole("button", { name: "Done" }).click();

    await page.getByRole("row").filter({ has: page.getByRole("link", { name: "Soon", exact: true }) }).getByRole("button", { name: "Delete" }).click();
    await expect(page.getByRole("dialog", { name: "Delete API key “Soon”?" })).toBeVisible();
    await expectNoViolations(page, `delete confirmation at ${width}`);
  });
}

test("key details and its dialogs", async ({ page, admin, request }) => {
  const { key, secret } = await createKey(page.request, { name: "Woo", project: "shop.example", scopes: ["keys:verify"] });
  await request.post("/api/v1/whoami", { headers: { Authorization: `Bearer ${secret}` } });
  await page.goto(`/keys/${key.id}`);
  await expect(page.getByRole("heading", { name: "Woo", level: 1 })).toBeVisible();
  await expectNoViolations(page, "details");
  await page.getByRole("button", { name: "Edit" }).click();
  await expect(page.getByRole("dialog", { name: "Edit API key" })).toBeVisible();
  await expectNoViolations(page, "edit dialog");
  await page.keyboard.press("Escape");
  await page.getByRole("button", { name: "Regenerate" }).click();
  await expect(page.getByRole("dialog", { name: "Regenerate secret key" })).toBeVisible();
  await expectNoViolations(page, "regenerate dialog");
});

test.describe("with a short sudo window", () => {
  test.use({ serverEnv: { LS_REAUTH_WINDOW_SECS: "1" } });
  test("the password prompt of sudo mode", async ({ page, admin }) => {
    await createKey(page.request, { name: "Woo" });
    await page.goto("/keys");
    await page.waitForTimeout(1500);
    await page.getByRole("row").filter({ has: page.getByRole("link", { name: "Woo" }) }).getByRole("button", { name: "View" }).click();
    const prompt = page.getByRole("dialog", { name: "Confirm your password" });
    await expect(prompt).toBeVisible();
    await expectNoViolations(page, "password prompt");
    await prompt.getByLabel("Password").fill("wrong wrong wrong");
    await prompt.getByRole("button", { name: "Confirm" }).click();
    await expect(prompt.getByText("Password is incorrect.")).toBeVisible();
    await expectNoViolations(page, "password prompt with an error");
  });
});

test("audit log, settings, admins and the leak report", async ({ page, admin }) => {
  const { key } = await createKey(page.request, { name: "Woo" });
  await page.goto("/audit");
  await expect(page.getByRole("table", { name: "Audit events, newest first" }).getByRole("row").nth(1)).toBeVisible();
  await expectNoViolations(page, "audit log");
  await page.goto("/settings");
  await expect(page.getByLabel("Maximum lifetime (days)")).toBeVisible();
  await expectNoViolations(page, "settings");
  await page.goto("/admins");
  await expect(page.getByRole("radio", { name: /^Viewer/ })).toBeVisible();
  await expectNoViolations(page, "admins with roles");
  await page.goto(`/keys/${key.id}`);
  await page.getByRole("button", { name: "Report as leaked" }).click();
  await expect(page.getByRole("dialog", { name: "Report as leaked" })).toBeVisible();
  await expectNoViolations(page, "leak report dialog");
  await page.getByRole("dialog", { name: "Report as leaked" }).getByRole("button", { name: "Report as leaked" }).click();
  await expect(page.getByText("Leaked — found at").or(page.getByText("Leaked", { exact: true })).first()).toBeVisible();
  await expectNoViolations(page, "details of a leaked key");
});
