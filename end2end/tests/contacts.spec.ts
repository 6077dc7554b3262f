import { expect, test } from "@playwright/test";
import {
  credentials,
  emailField,
  ready,
  searchContacts,
  signIn,
  submitSignIn,
  uniqueToken,
  visit,
} from "./helpers";

// Every test runs twice: in the "js" project (the app hydrates) and in "no-js"
// (plain server-rendered HTML and form posts).

test("signing in with a wrong password, then the right one, and signing out", async ({ page }, testInfo) => {
  const { email, password } = credentials();

  await visit(page, testInfo, "/login");
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();

  await submitSignIn(page, email, `${password}-not-it`);
  await expect(page.getByRole("alert")).toHaveText("Wrong email or password.");
  await expect(page).toHaveURL(/\/login/);

  await submitSignIn(page, email, password);
  await expect(page).toHaveURL(/\/contacts$/);
  await expect(page.getByRole("heading", { name: "Contacts", level: 1 })).toBeVisible();

  const nav = page.getByRole("navigation", { name: "Main" });
  await nav.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();

  // Signed out for real: the contact list asks to sign in again.
  await page.goto("/contacts");
  await expect(page).toHaveURL(/\/login\?next=%2Fcontacts$/);
});

test("an anonymous visit to the contacts is sent to sign in and comes back after", async ({ page }, testInfo) => {
  const { email, password } = credentials();

  await page.goto("/contacts");
  await expect(page).toHaveURL(/\/login\?next=%2Fcontacts$/);
  await ready(page, testInfo);

  await submitSignIn(page, email, password);
  await expect(page).toHaveURL(/\/contacts$/);
  await expect(page.getByRole("heading", { name: "Contacts", level: 1 })).toBeVisible();
});

test("add a contact, find it by part of its email, and edit its job title", async ({ page }, testInfo) => {
  const token = uniqueToken(testInfo);
  const email = `${token}@example.com`;
  const firstName = "Ada";
  const lastName = `Lovelace ${token}`;
  const fullName = `${firstName} ${lastName}`;

  await signIn(page, testInfo);

  // Add the contact.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Add a contact" }).click();
  await expect(page).toHaveURL(/\/contacts\/new$/);
  await expect(page.getByRole("heading", { name: "Add a contact", level: 1 })).toBeVisible();

  await page.getByLabel("First name").fill(firstName);
  await page.getByLabel("Last name").fill(lastName);
  await emailField(page).fill(email);
  await page.getByLabel("Phone").fill("+44 20 7946 0018");
  await page.getByLabel("Birth date").fill("1985-12-10");
  await page.getByLabel("Job title").fill("Analyst");
  await page.getByLabel("Company").fill("Analytical Engines Ltd");
  await page.getByLabel("Address", { exact: true }).fill("12 St James's Square");
  await page.getByLabel("Postal code").fill("SW1Y 4JH");
  await page.getByLabel("City").fill("London");
  await page.getByLabel("Country").fill("United Kingdom");
  await page.getByLabel("Interests").fill("mathematics, poetry");
  await page.getByLabel("Last purchase").fill("2024-03-01");
  await page.getByLabel("Total spend").fill("129.90");
  await page.getByLabel("Custom attributes").fill("favourite tea: earl grey");
  await page.getByLabel("Channel").selectOption({ label: "Event / trade show" });
  await page.getByLabel("Source detail").fill("Autumn trade fair");
  await page.getByRole("button", { name: "Save contact" }).click();

  await expect(page).toHaveURL(/\/contacts\/\d+$/);
  await expect(page.getByRole("heading", { name: fullName, level: 1 })).toBeVisible();
  await expect(page.getByRole("main").getByText(email, { exact: true }).first()).toBeVisible();
  const profileUrl = page.url();

  // Find it again from the list by a part of its email.
  await visit(page, testInfo, "/contacts");
  await searchContacts(page, token);
  const row = page.getByRole("row").filter({ has: page.getByRole("link", { name: fullName }) });
  await expect(row).toHaveCount(1);
  await expect(row.getByRole("cell", { name: email, exact: true })).toBeVisible();
  await row.getByRole("link", { name: fullName }).click();
  await expect(page).toHaveURL(profileUrl);
  await expect(page.getByRole("heading", { name: fullName, level: 1 })).toBeVisible();

  // Edit the job title.
  await page.getByRole("link", { name: "Edit", exact: true }).click();
  await expect(page).toHaveURL(/\/contacts\/\d+\/edit$/);
  await expect(page.getByRole("heading", { name: `Edit ${fullName}`, level: 1 })).toBeVisible();
  await expect(page.getByLabel("First name")).toHaveValue(firstName);
  await expect(page.getByLabel("Last name")).toHaveValue(lastName);
  await expect(emailField(page)).toHaveValue(email);
  await expect(page.getByLabel("Birth date")).toHaveValue("1985-12-10");
  await expect(page.getByLabel("Job title")).toHaveValue("Analyst");
  await expect(page.getByLabel("City")).toHaveValue("London");
  await expect(page.getByLabel("Channel")).toHaveValue("event");

  await page.getByLabel("Job title").fill("Chief Analyst");
  await page.getByRole("button", { name: "Save changes" }).click();

  await expect(page).toHaveURL(profileUrl);
  await expect(page.getByRole("heading", { name: fullName, level: 1 })).toBeVisible();
  await expect(page.getByRole("main").getByText("Chief Analyst", { exact: true })).toBeVisible();
  await expect(
    page.getByRole("region", { name: "Timeline" }).getByText("Changed: job title", { exact: true }),
  ).toBeVisible();
});

test("an invalid email is explained next to the field and nothing is saved", async ({ page }, testInfo) => {
  const token = uniqueToken(testInfo);
  // Unique to this run, so the search below could only ever find this contact.
  const firstName = `Nobody${token.replace(/[^a-z0-9]/g, "")}`;

  await signIn(page, testInfo);
  await visit(page, testInfo, "/contacts/new");
  await expect(page.getByRole("heading", { name: "Add a contact", level: 1 })).toBeVisible();

  await page.getByLabel("First name").fill(firstName);
  await page.getByLabel("Last name").fill("Invalid");
  await emailField(page).fill("not-an-email");
  await page.getByRole("button", { name: "Save contact" }).click();

  await expect(page.getByRole("alert")).toContainText("Please correct the fields marked below.");
  await expect(page.getByText("Enter a valid email address, like name@example.com.")).toBeVisible();
  // The message belongs to the Email field (it describes the input).
  await expect(emailField(page)).toHaveAccessibleDescription("Enter a valid email address, like name@example.com.");
  await expect(page).not.toHaveURL(/\/contacts\/\d+$/);

  await visit(page, testInfo, "/contacts");
  await searchContacts(page, firstName);
  await expect(page.getByText("No contacts match this search.")).toBeVisible();
  await expect(page.getByRole("link", { name: new RegExp(firstName) })).toHaveCount(0);
});
