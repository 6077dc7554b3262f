import { expect, test } from "@playwright/test";
import { ready, signIn, visit } from "./helpers";

// Runs in both projects: "js" (hydrated app) and "no-js" (server-rendered HTML, form
// posts, and a progress page that reloads itself).

test("reading the engagement dashboard and opening the inactive contacts", async ({ page }, testInfo) => {
  await signIn(page, testInfo);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Engagement" }).click();
  await expect(page).toHaveURL(/\/engagement$/);
  await ready(page, testInfo);
  await expect(page.getByRole("heading", { name: "Engagement", level: 1 })).toBeVisible();

  // Every chart is in the HTML, with its numbers readable as text.
  const now = page.getByRole("region", { name: "Now" });
  await expect(now.getByRole("img", { name: "Contacts per engagement status" })).toBeVisible();
  const sources = page.getByRole("region", { name: "Which sources produce inactives" });
  await expect(sources.getByRole("rowheader", { name: "LeadCo co-registration" })).toBeVisible();
  await expect(page.getByRole("region", { name: "Attrition over the last 12 months" })).toContainText("usual 25% a year");
  await expect(page.getByRole("img", { name: "Contacts per status at the end of each month" })).toBeVisible();

  // A list-cleaning count opens its list.
  const cleaning = page.getByRole("region", { name: "List cleaning" });
  await cleaning.getByRole("link", { name: /Never clicked/ }).click();
  await expect(page).toHaveURL(/\/contacts\?clean=never_clicked$/);
  await expect(page.getByText("List cleaning: Never clicked")).toBeVisible();

  // So does a status bar of the chart.
  await visit(page, testInfo, "/engagement");
  await now.getByRole("link", { name: /^Inactive/ }).click();
  await expect(page).toHaveURL(/\/contacts\?status=inactive$/);
  await expect(page.getByRole("combobox", { name: "Engagement" })).toHaveValue("inactive");
  const badges = page.getByRole("table").locator("tbody tr td .badge-status");
  await expect(badges.first()).toHaveText("Inactive");
  expect(await badges.filter({ hasNotText: "Inactive" }).count()).toBe(0);
});

test("moving a list of inactive contacts to the inactive pool, confirmed, with progress", async ({ page }, testInfo) => {
  // Each project works on its own channel: they share one database.
  const channel = testInfo.project.name === "js" ? "partner" : "event";
  await signIn(page, testInfo);
  await visit(page, testInfo, `/contacts?status=inactive&channel=${channel}`);
  const total = page.getByText(/^\d[\d,]* contacts$/);
  await expect(total).toBeVisible();
  const count = Number((await total.textContent())!.replace(/\D/g, ""));
  expect(count).toBeGreaterThan(0);

  await page.getByRole("link", { name: "Act on these contacts…" }).click();
  await expect(page).toHaveURL(/\/contacts\/bulk\?/);
  await ready(page, testInfo);
  await expect(page.getByText(`${count} contacts`, { exact: true })).toBeVisible();

  // Not confirmed: refused, nothing starts.
  await page.getByRole("button", { name: "Start" }).click();
  await expect(page.getByText("Tick the box to confirm.")).toBeVisible();
  await expect(page).toHaveURL(/\/contacts\/bulk/);

  await ready(page, testInfo);
  await page.getByRole("radio", { name: /Move to the inactive pool/ }).check();
  await page.getByRole("checkbox", { name: /I confirm/ }).check();
  await page.getByRole("button", { name: "Start" }).click();
  await expect(page).toHaveURL(/\/jobs\/\d+$/);
  await expect(page.getByRole("heading", { name: "Moving contacts to the inactive pool" })).toBeVisible();
  await expect(page.getByText("Done", { exact: true })).toBeVisible({ timeout: 20_000 });
  await expect(page.getByText(`${count} of ${count} contacts changed`)).toBeVisible();

  await visit(page, testInfo, `/contacts?pool=inactive&channel=${channel}`);
  await expect(page.getByText(`${count} contacts`, { exact: true })).toBeVisible();
  await expect(page.getByRole("table").locator("tbody tr").first()).toContainText("Inactive pool");
});
