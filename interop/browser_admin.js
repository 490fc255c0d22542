// The official admin UI (@socket.io/admin-ui 0.5.1's built files, served by
// the chat demo at /admin-ui/) in headless Chromium, against our server:
// a chat page joins "lobby"; the UI logs in, and must show the server, the
// chat's socket, its rooms and its events; then it makes the socket join a
// room and disconnects it, and the chat page must see both. Saves
// screenshots, prints what it saw.
// Usage: node browser_admin.js <url> <password> <screenshot dir>
"use strict";
const { run } = require("./browser");
const [url, password, shots] = process.argv.slice(2);
const seen = { steps: [] };
run(seen, 90000, async (browser, errors) => {
  const step = (name) => seen.steps.push(name);

  // A chat user in "lobby".
  const chat = await browser.newPage();
  chat.on("pageerror", (e) => errors.push(`chat: ${e.message}`));
  chat.setDefaultTimeout(15000);
  await chat.goto(url);
  await chat.fill("#nickname", "ada");
  await chat.click("#enter");
  await chat.waitForSelector("#rooms:not([hidden])");
  await chat.fill("#room", "lobby");
  await chat.click("#join");
  await chat.waitForSelector("#send:not([hidden])");
  const id = await chat.evaluate(() => state.socket.id);
  seen.socketId = id;

  // The admin UI logs in. Its fonts and icons come from CDNs the test
  // machine may not reach: wait for the DOM only.
  const admin = await browser.newPage();
  admin.on("pageerror", (e) => errors.push(`admin: ${e.message}`));
  admin.setDefaultTimeout(15000);
  await admin.goto(`${url}admin-ui/`, { waitUntil: "domcontentloaded" });
  await admin.getByLabel("Server URL").fill(url.replace(/\/$/, ""));
  await admin.getByLabel("Username").fill("admin");
  await admin.getByLabel("Password").fill("wrong");
  await admin.getByRole("button", { name: "Connect" }).click();
  await admin.getByText("invalid credentials").waitFor();
  step("wrong password refused");
  await admin.getByLabel("Password").fill(password);
  await admin.getByRole("button", { name: "Connect" }).click();
  await admin.getByLabel("Password").waitFor({ state: "hidden" });
  step("logged in");

  const bodyHas = (page, text) =>
    page.waitForFunction((t) => document.body.innerText.includes(t), text);
  const visit = async (hash, texts) => {
    await admin.goto(`${url}admin-ui/#${hash}`, { waitUntil: "domcontentloaded" });
    for (const text of texts) await bodyHas(admin, text);
  };

  seen.serverId = require("os").hostname();
  await visit("/servers/", [seen.serverId]);
  step("server listed");
  await visit("/sockets/", [id]);
  step("socket listed");
  await visit("/rooms/", ["lobby"]);
  step("room listed");
  // Events are shown from the UI's login on: ada talks now.
  await chat.fill("#text", "hello admin");
  await chat.press("#text", "Enter");
  await visit("/events/", ["message"]);
  step("events listed");

  // The socket's page: join a room from the UI, then disconnect it.
  await visit(`/n/%2F/sockets/${id}`, [id, "lobby"]);
  await admin.getByLabel("Join a room").fill("vip");
  await admin.locator("form button[type=submit]:has(i.mdi-tag-plus-outline)").click();
  await bodyHas(admin, "vip");
  step("joined vip from the UI");
  await admin.screenshot({ path: `${shots}/admin-ui-socket.png` });
  await chat.evaluate(() => state.socket.on("disconnect", (reason) => (window.reason = reason)));
  await admin.locator("button:has(i.mdi-logout)").first().click();
  await chat.waitForFunction(() => window.reason);
  seen.chatDisconnectReason = await chat.evaluate(() => window.reason);
  step("disconnected from the UI");
  await visit("/", ["Namespaces", "/admin"]);
  // Once the page's slide transition is over, for a sharp picture.
  await admin.waitForFunction(() => !document.querySelector("[class*=transition-enter], [class*=transition-leave]"));
  await admin.screenshot({ path: `${shots}/admin-ui-dashboard.png` });

});
