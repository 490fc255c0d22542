// The real socket.io-client 4.x against examples/axum.rs: joins a room over
// socket.io, asks the REST API how many are in it, has the REST API
// announce to it, and prints what it saw as JSON.
// Usage: node axum_client.js <url>
"use strict";
const { io } = require("socket.io-client");
const clients = require("./clients");
const [url] = process.argv.slice(2);
const seen = { size: null, reached: null, announcement: null };
const finish = (code) => clients.finish(seen, code);
setTimeout(() => finish(1), 10000);
// The announcement may come before the answer to the POST that made it.
const finishWhenBoth = () => {
  if (seen.announcement !== null && seen.reached !== null) finish(0);
};

const socket = io(url, { transports: ["polling", "websocket"] });
socket.on("announcement", (text) => {
  seen.announcement = text;
  finishWhenBoth();
});
socket.on("connect", async () => {
  socket.emit("join", "lobby");
  // The join is handled in order with what follows on this connection;
  // the REST API is another connection, so wait until it sees the member.
  while (seen.size !== 1) {
    seen.size = await (await fetch(`${url}/rooms/lobby`)).json();
  }
  const answer = await fetch(`${url}/rooms/lobby/announce`, { method: "POST", body: "hello room" });
  seen.reached = await answer.json();
  finishWhenBoth();
});
