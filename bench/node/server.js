// Node's socket.io 4.8 answering the bench protocol of
// examples/bench_server: `echo`, `echo_ack` and `broadcast` on `/`, default
// options otherwise. Listens on 127.0.0.1:$PORT (default 3000).
const { createServer } = require("node:http");
const { Server } = require("socket.io");

const httpServer = createServer();
const io = new Server(httpServer);

io.on("connection", (socket) => {
  socket.on("echo", (data) => socket.emit("echo", data));
  socket.on("echo_ack", (data, ack) => ack(data));
  socket.on("broadcast", (data) => io.emit("broadcast", data));
});

httpServer.listen(Number(process.env.PORT || 3000), "127.0.0.1");
