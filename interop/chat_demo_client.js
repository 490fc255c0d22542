// Two real socket.io-client 4.x users of the chat demo (examples/chat.rs):
// ada joins "lobby" and talks, bob joins and gets the history and the user
// list, types, talks, and leaves. Prints, for each, what it heard.
// Usage: node chat_demo_client.js <url>
"use strict";
const { io } = require("socket.io-client");
const clients = require("./clients");
const [url] = process.argv.slice(2);
const seen = { adaJoin: null, bobJoin: null, ada: [], bob: [], page: null };
setTimeout(() => clients.finish(seen, 1), 10000);

const ada = io(url, { auth: { nickname: "ada" }, forceNew: true });
const bob = io(url, { auth: { nickname: "bob" }, forceNew: true });
const record = (who, socket) => {
  for (const event of ["message", "system", "users", "typing"]) {
    socket.on(event, (m) => {
      const { time, ...rest } = m; // the time varies
      seen[who].push([event, rest]);
      for (const wake of waiting.splice(0)) wake();
    });
  }
};
record("ada", ada);
record("bob", bob);
const connected = (s) => new Promise((resolve) => s.on("connect", resolve));
const join = (s, room) => new Promise((resolve) => s.emit("join", room, resolve));
// Resolves once `who` has heard `count` events (checked at each event).
const waiting = [];
const heard = (who, count) =>
  new Promise((resolve) => {
    const check = () => (seen[who].length >= count ? resolve() : waiting.push(check));
    check();
  });

(async () => {
  await Promise.all([connected(ada), connected(bob)]);
  seen.adaJoin = await join(ada, "lobby");
  await heard("ada", 2); // ada joined, users
  ada.emit("message", "lobby", "hello");
  await heard("ada", 3);
  const bobJoin = await join(bob, "lobby");
  seen.bobJoin = { history: bobJoin.history.map(({ time, ...m }) => m), users: bobJoin.users };
  await heard("ada", 5); // bob joined, users
  bob.emit("typing", "lobby", true);
  bob.emit("message", "lobby", "hi ada");
  await heard("ada", 7); // typing, message
  await heard("bob", 3); // bob joined, users, his own message
  bob.disconnect();
  await heard("ada", 9); // bob left, users
  seen.page = (await (await fetch(url + "/")).text()).includes('src="/socket.io/socket.io.js"');
  clients.finish(seen, 0);
})();
