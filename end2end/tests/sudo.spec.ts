// Sudo mode: revealing a secret, creating a key that can change keys and deleting in bulk ask
// for the password when it was not entered recently, then go on. The server's window is 3 s
// here (LS_REAUTH_WINDOW_SECS) so the test need not wait 10 minutes.
import { test, expect, createKey, ADMIN } from "./fixtures";

test.use({ serverEnv: { LS_REAUTH_WINDOW_SECS: "3" } });

const rowOf = (page: import("@playwright/test").Page, name: string) =>
  page.getByRole("row").filter({ has: page.getByRole("link", { name, exact: true }) });

test("a stale session confirms its password, then the reveal, the creation and the bulk delete go on", async ({ page, admin }) => {
  const { secret } = await createKey(page.request, { name: "Woo" });
  await createKey(page.request, { name: "Old one" });
  await page.goto("/keys");
  await expect(rowOf(page, "Woo")).toBeVisible();
  await page.waitForTimeout(3500);

  // Reveal: asked first; a wrong password says so and shows nothing.
  await rowOf(page, "Woo").getByRole("button", { name: "View" }).click();
  const prompt = page.getByRole("dialog", { name: "Confirm your password" });
  await expect(prompt).toBeVisible();
  await expect(rowOf(page, "Woo")).not.toContainText(secret);
  await prompt.getByLabel("Password").fill("not my password");
  await prompt.getByRole("button", { name: "Confirm" }).click();
  await expect(prompt.getByText("Password is incorrect.")).toBeVisible();
  await prompt.getByLabel("Password").fill(ADMIN.password);
  await prompt.getByRole("button", { name: "Confirm" }).click();
  await expect(prompt).toBeHidden();
  await expect(rowOf(page, "Woo")).toContainText(secret);

  // Creating a key that can change keys, once the window has passed again: asked, then made.
  await page.waitForTimeout(3500);
  await page.getByRole("button", { name: "Add New" }).click();
  const add = page.getByRole("dialog", { name: "Add New API key" });
  await add.getByLabel("Name").fill("Manager");
  await add.getByLabel(/keys:write/).check();
  await add.getByRole("button", { name: "Create key" }).click();
  await expect(prompt).toBeVisible();
  await prompt.getByLabel("Password").fill(ADMIN.password);
  await prompt.getByRole("button", { name: "Confirm" }).click();
  const created = page.getByRole("dialog", { name: "API key created" });
  await expect(created).toBeVisible();
  await created.getByRole("button", { name: "Done" }).click();

  // Cancelling the prompt leaves everything as it was.
  await page.waitForTimeout(3500);
  await page.getByRole("checkbox", { name: "Select Old one" }).check();
  await page.getByRole("button", { name: "Bulk Delete" }).click();
  await page.getByRole("dialog", { name: "Delete 1 API key?" }).getByRole("button", { name: "Delete" }).click();
  await expect(prompt).toBeVisible();
  await prompt.getByRole("button", { name: "Cancel" }).click();
  await expect(prompt).toBeHidden();
  await expect(rowOf(page, "Old one")).toBeVisible();
  // Cancelling is no error: no red toast.
  await page.waitForTimeout(300);
  await expect(page.getByRole("status").getByText("Confirm your password to continue.")).toHaveCount(0);
  // And confirming deletes.
  await page.getByRole("dialog", { name: "Delete 1 API key?" }).getByRole("button", { name: "Delete" }).click();
  await expect(prompt).toBeVisible();
  await prompt.getByLabel("Password").fill(ADMIN.password);
  await prompt.getByRole("button", { name: "Confirm" }).click();
  await expect(rowOf(page, "Old one")).toHaveCount(0);
});
