import { test, expect, ADMIN, captureSessionCookie, rememberSecret } from "./fixtures";

test("first-run setup, logout, failed and successful login, return to next, add an admin", async ({ page, browser, server }) => {
  await page.goto("/keys?filter=never_used");
  await expect(page).toHaveURL(/\/setup$/);
  await page.getByLabel("Email").fill(ADMIN.email);
  await page.getByLabel("Name").fill(ADMIN.name);
  await page.getByLabel("Password", { exact: true }).fill("too short");
  await page.getByLabel("Confirm password").fill("too short");
  await page.getByRole("button", { name: "Create admin" }).click();
  await expect(page.getByText("Password must be at least 12 characters.")).toBeVisible();
  await page.getByLabel("Password", { exact: true }).fill(ADMIN.password);
  await page.getByLabel("Confirm password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Create admin" }).click();
  await expect(page.getByRole("heading", { name: "API Keys" })).toBeVisible();
  await expect(page.getByText("Ann Admin")).toBeVisible();
  await captureSessionCookie(page);

  // Setup is closed for good: a signed-in admin goes to the keys; anyone else is told so.
  await page.goto("/setup");
  await expect(page).toHaveURL(/\/keys$/);
  await expect(page.getByRole("heading", { name: "API Keys" })).toBeVisible();
  const stranger = await browser.newPage({ baseURL: server.url });
  await stranger.goto("/setup");
  await expect(stranger.getByText("Already set up.")).toBeVisible();
  await stranger.close();

  await page.getByRole("button", { name: "Log out" }).click();
  await expect(page).toHaveURL(/\/login/);

  // A protected page sends us to login with next=…
  await page.goto("/keys?filter=never_used");
  await expect(page).toHaveURL(/\/login\?next=%2Fkeys%3Ffilter%3Dnever_used$/);
  await page.getByLabel("Email").fill(ADMIN.email);
  await page.getByLabel("Password").fill("wrong password here");
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "Email or password is incorrect." })).toBeVisible();
  await page.getByLabel("Password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).toHaveURL(/\/keys\?filter=never_used$/);
  await expect(page.getByRole("button", { name: "Never used", pressed: true })).toBeVisible();
  await captureSessionCookie(page);

  // Admins page: add Bob, who can then log in.
  await page.getByRole("link", { name: "Admins" }).click();
  await expect(page.getByRole("heading", { name: "Admins" })).toBeVisible();
  const bob = { email: "bob@example.com", name: "Bob Builder", password: "bob's long passphrase" };
  rememberSecret(bob.password);
  await page.getByLabel("Email").fill(bob.email);
  await page.getByLabel("Name").fill(bob.name);
  await page.getByLabel("Password").fill(bob.password);
  await page.getByRole("button", { name: "Add admin" }).click();
  await expect(page.getByRole("row", { name: /Bob Builder/ })).toBeVisible();
  await expect(page.getByRole("status").getByText("Added Bob Builder")).toBeVisible();
  await expect(page.getByLabel("Email")).toHaveValue("");
  await expect(page.getByRole("row", { name: /Ann Admin \(you\)/ })).toBeVisible();

  const other = await browser.newContext({ baseURL: server.url });
  const bobPage = await other.newPage();
  await bobPage.goto("/login");
  await bobPage.getByLabel("Email").fill(bob.email);
  await bobPage.getByLabel("Password").fill(bob.password);
  await bobPage.getByRole("button", { name: "Log in" }).click();
  await expect(bobPage.getByRole("heading", { name: "API Keys" })).toBeVisible();
  await expect(bobPage.getByText("Bob Builder")).toBeVisible();
  await captureSessionCookie(bobPage);

  // Disabling Bob ends his session.
  await page.getByRole("button", { name: "Disable Bob Builder" }).click();
  await expect(page.getByRole("row", { name: /Bob Builder/ })).toContainText("Disabled");
  await expect(page.getByRole("status").getByText("Disabled Bob Builder")).toBeVisible();
  await bobPage.reload();
  await expect(bobPage).toHaveURL(/\/login/);
  await other.close();
});

test("an absolute, protocol-relative or disguised next is ignored", async ({ page, admin }) => {
  await page.context().clearCookies();
  // Browsers drop tabs and newlines from URLs and read "\\" as "/", so these are all off-site;
  // and back to the login page itself is no place to land.
  for (const next of ["https://evil.example/", "//evil.example/x", "/\t/evil.example", "/\\evil.example", "/login"]) {
    await page.goto(`/login?next=${encodeURIComponent(next)}`);
    await page.getByLabel("Email").fill(ADMIN.email);
    await page.getByLabel("Password").fill(ADMIN.password);
    await page.getByRole("button", { name: "Log in" }).click();
    await expect(page).toHaveURL(/\/keys$/);
    await captureSessionCookie(page);
    // Log out is a plain /login (no `next` back to where we were), and logging in from there
    // lands on a real page, never on the filled login form.
    await page.getByRole("button", { name: "Log out" }).click();
    await expect(page).toHaveURL(/\/login$/);
  }
  await page.getByLabel("Email").fill(ADMIN.email);
  await page.getByLabel("Password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page).toHaveURL(/\/keys$/);
  await expect(page.getByRole("heading", { name: "API Keys" })).toBeVisible();
});

test("changing the password signs out other sessions", async ({ page, admin, browser, server }) => {
  await page.goto("/keys");
  const other = await browser.newContext({ baseURL: server.url });
  const otherPage = await other.newPage();
  await otherPage.goto("/login");
  await otherPage.getByLabel("Email").fill(admin.email);
  await otherPage.getByLabel("Password").fill(admin.password);
  await otherPage.getByRole("button", { name: "Log in" }).click();
  await expect(otherPage.getByRole("heading", { name: "API Keys" })).toBeVisible();
  await captureSessionCookie(otherPage);

  await page.getByRole("button", { name: "Change password" }).click();
  const dialog = page.getByRole("dialog", { name: "Change password" });
  const fresh = "a brand new passphrase";
  rememberSecret(fresh);
  await dialog.getByLabel("Current password").fill("not my password");
  await dialog.getByLabel("New password", { exact: true }).fill(fresh);
  await dialog.getByLabel("Confirm new password").fill(fresh);
  await dialog.getByRole("button", { name: "Change password" }).click();
  await expect(dialog.getByText("Current password is incorrect.")).toBeVisible();
  await dialog.getByLabel("Current password").fill(admin.password);
  await dialog.getByRole("button", { name: "Change password" }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByRole("status").getByText("Password changed.")).toBeVisible();
  await captureSessionCookie(page);

  // This browser stays signed in; the other one is signed out.
  await page.reload();
  await expect(page.getByRole("heading", { name: "API Keys" })).toBeVisible();
  await otherPage.reload();
  await expect(otherPage).toHaveURL(/\/login/);
  await otherPage.getByLabel("Email").fill(admin.email);
  await otherPage.getByLabel("Password").fill(fresh);
  await otherPage.getByRole("button", { name: "Log in" }).click();
  await expect(otherPage.getByRole("heading", { name: "API Keys" })).toBeVisible();
  await other.close();
});
