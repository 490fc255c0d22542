// What the browser tests share: headless Chromium (Debian's package, or
// $CHROMIUM) through playwright-core, and a report of what the test saw,
// printed as JSON once it finishes or when its time is up.
"use strict";
const { chromium } = require("playwright-core");

// Chromium without sandbox, GPU or background traffic.
const launch = () =>
  chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });

// Runs `body(browser, errors)` with a new Chromium, the page errors it
// collects going to `seen.errors`; prints `seen` as JSON at the end, and
// exits 1 on a failure or after `limitMs`.
exports.run = (seen, limitMs, body) => {
  const finish = (code) => {
    process.stdout.write(JSON.stringify(seen));
    process.exit(code);
  };
  setTimeout(() => finish(1), limitMs);
  (async () => {
    const browser = await launch();
    const errors = [];
    await body(browser, errors);
    seen.errors = errors;
    await browser.close();
    finish(0);
  })().catch((e) => {
    seen.failure = String(e);
    finish(1);
  });
};
