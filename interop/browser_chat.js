// The chat demo in a real browser: two headless Chromium pages (Debian's
// chromium, driven by playwright-core) pick nicknames, join the same room,
// see each other in the user list, see the other typing, and exchange
// messages. Saves a screenshot of each page, prints what it checked.
// Usage: node browser_chat.js <url> <screenshot dir>
"use strict";
const { run } = require("./browser");
const [url, shots] = process.argv.slice(2);
const seen = {};
run(seen, 60000, async (browser, errors) => {
  const open = async (nickname) => {
    const page = await browser.newPage();
    page.on("pageerror", (e) => errors.push(`${nickname}: ${e.message}`));
    page.setDefaultTimeout(15000);
    await page.goto(url);
    await page.fill("#nickname", nickname);
    await page.click("#enter");
    await page.waitForSelector("#rooms:not([hidden])");
    await page.fill("#room", "lobby");
    await page.click("#join");
    await page.waitForSelector("#send:not([hidden])");
    return page;
  };
  const ada = await open("ada");
  const bob = await open("bob");
  const text = (page, selector) => page.$eval(selector, (e) => e.innerText.trim());
  await ada.waitForFunction(() => document.getElementById("users").innerText.includes("bob"));
  seen.adaUsers = await text(ada, "#users");
  await bob.type("#text", "hello ada");
  await ada.waitForFunction(() => document.getElementById("typing").innerText.includes("bob"));
  seen.adaTyping = await text(ada, "#typing");
  await bob.press("#text", "Enter");
  await ada.waitForFunction(() => document.getElementById("log").innerText.includes("hello ada"));
  await ada.type("#text", "hi bob");
  await ada.press("#text", "Enter");
  // Each page hears the message from the server on its own: wait for both.
  for (const page of [ada, bob]) {
    await page.waitForFunction(() => document.getElementById("log").innerText.includes("hi bob"));
  }
  // The time of day varies: keep who said what.
  const lines = async (page) =>
    (await text(page, "#log")).split("\n").map((l) => l.replace(/^\d{1,2}:\d{2}:\d{2}\s*(AM|PM)?\s*/, ""));
  seen.adaLog = await lines(ada);
  seen.bobLog = await lines(bob);
  await ada.screenshot({ path: `${shots}/chat-ada.png` });
  await bob.screenshot({ path: `${shots}/chat-bob.png` });
});
