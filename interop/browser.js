// What the browser tests share: headless Chromium (Debian's package, or
// $CHROMIUM) through playwright-core, and a report of what the test saw,
// printed as JSON once it finishes or when its time is up.
"use strict";
const { chromium } = require("playwright-core");

// Chromium without sandbox, GPU or background traffic.
exports.launch = () =>
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

// `seen`, printed as JSON when `finish(code)` is called, or with exit code
// 1 after `limitMs`.
exports.report = (seen, limitMs) => {
  const finish = (code) => {
    process.stdout.write(JSON.stringify(seen));
    process.exit(code);
  };
  setTimeout(() => finish(1), limitMs);
  return finish;
};
