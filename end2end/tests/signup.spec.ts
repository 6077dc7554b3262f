import { expect, test } from "@playwright/test";
import { emailField, mailTo, signIn, uniqueToken } from "./helpers";

// A visitor signs up on the public form of an event and confirms from the mail Carnet
// really sends (through the test SMTP sink), with JavaScript (the page answers the
// proof of work) and without; and staff enter a person at a point of sale.

test("a visitor signs up on an event's form and confirms from the mail", async ({ page }, testInfo) => {
  const email = `${uniqueToken(testInfo)}@example.com`;
  await page.goto("/subscribe?source=event&detail=Spring%20salon");
  await expect(page.getByRole("heading", { name: "Subscribe" })).toBeVisible();
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("First name (optional)").fill("Ada");
  await page.getByLabel(/Yes, send me/).first().check();
  // The time trap: people take a few seconds to fill a form in.
  await page.waitForTimeout(3_000);
  await page.getByRole("button", { name: "Subscribe" }).click();
  await expect(page.getByRole("heading", { name: "Check your mail" })).toBeVisible();

  const mail = await mailTo(email);
  expect(mail).toContain("Subject: Please confirm your subscription");
  const link = mail.match(/https?:\/\/[^\s"<>]+\/s\/[A-Za-z0-9_-]+\?lang=en/)?.[0];
  expect(link, mail).toBeTruthy();

  await page.goto(link!);
  await page.getByRole("button", { name: "Confirm my subscription" }).click();
  await expect(page.getByRole("heading", { name: "Thank you" })).toBeVisible();
  await expect(page.getByText(/You are subscribed to/)).toBeVisible();
  await page.getByRole("link", { name: "Complete my profile" }).click();
  await expect(page).toHaveURL(/\/me/);
  await expect(page.getByText(email)).toBeVisible();
});

test("staff enter a person at a point of sale and go on to the next", async ({ page }, testInfo) => {
  const email = `${uniqueToken(testInfo)}@example.com`;
  await signIn(page, testInfo);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Quick entry" }).click();
  await expect(page.getByRole("heading", { name: "Quick entry" })).toBeVisible();
  await page.getByLabel("Channel").selectOption("event");
  await page.getByLabel("Shop, campaign or event").fill("Spring salon");
  await emailField(page).fill(email);
  await page.getByLabel("First name").fill("Lin");
  await page.locator("input[name^='newsletters[']").first().check();
  // Without the person's yes, nothing is saved.
  await page.getByRole("button", { name: "Save and next" }).click();
  await expect(page.getByText("tick the box once they say yes")).toBeVisible();
  await page.locator("input[name^='newsletters[']").first().check();
  await page.getByLabel("The person said yes to these words").check();
  await page.getByRole("button", { name: "Save and next" }).click();
  await expect(page.getByText("Saved: a new contact.")).toBeVisible();
  // The next person: an empty form, the same channel and place.
  await expect(emailField(page)).toHaveValue("");
  await expect(page.getByLabel("Channel")).toHaveValue("event");
  await expect(page.getByLabel("Shop, campaign or event")).toHaveValue("Spring salon");
  await page.getByRole("link", { name: "Open the contact" }).click();
  await expect(page.getByText(email).first()).toBeVisible();
  await expect(page.getByText(/Event \/ trade show/).first()).toBeVisible();
});
