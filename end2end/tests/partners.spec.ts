import { expect, test } from "@playwright/test";
import { ready, signIn, uniqueToken } from "./helpers";

test("an admin creates a partner and an API key, and the key works on the API", async ({ page, request }, testInfo) => {
  await signIn(page, testInfo);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Partners" }).click();
  await expect(page).toHaveURL(/\/partners$/);
  await ready(page, testInfo);
  await expect(page.getByRole("heading", { name: "Partners", level: 1 })).toBeVisible();

  const name = `Leads ${uniqueToken(testInfo)}`;
  await page.getByLabel("Partner name").fill(name);
  await page.getByLabel("Price per accepted lead").fill("1.50");
  await page.getByLabel("Daily quota of checks").fill("1000");
  await page.getByRole("button", { name: "Add partner" }).click();

  const card = page.getByRole("region", { name });
  await expect(card).toBeVisible();
  await expect(card.getByText("1.50 per accepted lead · 1000 checks a day")).toBeVisible();
  await expect(card.getByText("No API keys yet.")).toBeVisible();
  await ready(page, testInfo);

  await card.getByLabel("Submit leads").check();
  await card.getByRole("button", { name: `Create key for ${name}` }).click();

  const shown = page.getByLabel("New API key");
  await expect(shown).toBeVisible();
  const key = (await shown.textContent())!.trim();
  expect(key).toMatch(/^carnet_[0-9A-Za-z]{38}$/);
  await expect(page.getByRole("region", { name }).getByRole("cell", { name: "check, submit" })).toBeVisible();

  // The key is shown once: a fresh visit does not show it again.
  await page.goto("/partners");
  await ready(page, testInfo);
  await expect(page.getByLabel("New API key")).toHaveCount(0);

  const answer = await request.post("/api/v1/suppression/check", {
    headers: { Authorization: `Bearer ${key}` },
    data: { emails: ["nobody-known@example.com"] },
  });
  expect(answer.status()).toBe(200);
  expect(await answer.json()).toEqual({ checked: 1, known: [] });
});
