import { expect, test } from "@playwright/test";
import { signIn, uniqueToken } from "./helpers";

// Staff create an incentive programme, open its page, and stop it.
test("staff create an incentive programme and stop it", async ({ page }, testInfo) => {
  const name = `Spring ${uniqueToken(testInfo)}`;
  await signIn(page, testInfo);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Incentives" }).click();
  await expect(page.getByRole("heading", { name: "Incentives", level: 1 })).toBeVisible();

  // A mistake first: nothing is created and the field says why.
  await page.getByRole("textbox", { name: /^Name/ }).fill(name);
  await page.getByRole("textbox", { name: /^Reward/ }).fill("Free shipping");
  await page.getByLabel("Profile completion that earns it (%)").fill("120");
  await page.getByRole("button", { name: "Create programme" }).click();
  await expect(page.getByText("Enter a percentage from 0 to 100.")).toBeVisible();
  await expect(page.getByRole("link", { name })).toHaveCount(0);
  // What was typed is still there, with JavaScript or without.
  await expect(page.getByRole("textbox", { name: /^Name/ })).toHaveValue(name);
  await expect(page.getByRole("textbox", { name: /^Reward/ })).toHaveValue("Free shipping");

  await page.getByRole("textbox", { name: /^Name/ }).fill(name);
  await page.getByRole("textbox", { name: /^Reward/ }).fill("Free shipping");
  await page.getByLabel("Profile completion that earns it (%)").fill("90");
  await page.getByLabel("Phone", { exact: true }).check();
  await page.getByRole("button", { name: "Create programme" }).click();
  await expect(page.getByText("Programme created.")).toBeVisible();
  // The form is empty for the next programme, with JavaScript or without.
  await expect(page.getByRole("textbox", { name: /^Name/ })).toHaveValue("");
  await expect(page.getByRole("cell", { name: "profile at 90% with phone" }).first()).toBeVisible();

  await page.getByRole("link", { name }).click();
  await expect(page.getByRole("heading", { name, level: 1 })).toBeVisible();
  await expect(page.getByText("No code given yet.")).toBeVisible();
  await page.getByRole("button", { name: "Stop this programme" }).click();
  await expect(page.getByText("Stopped: no new codes are given.")).toBeVisible();
  await expect(page.getByRole("button", { name: "Resume this programme" })).toBeVisible();
});
