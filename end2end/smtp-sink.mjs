// A tiny SMTP server for the end-to-end tests: accepts every message Carnet sends and
// writes it, raw, to a directory (one file per recipient and message), where the tests
// read the links a person would click. Usage: node smtp-sink.mjs PORT DIR
import { createServer } from "node:net";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const [port, dir] = process.argv.slice(2);
mkdirSync(dir, { recursive: true });
let count = 0;

createServer((socket) => {
  let buffer = "";
  let inData = false;
  let rcpts = [];
  let data = [];
  const reply = (line) => socket.write(line + "\r\n");
  reply("220 carnet-e2e-sink");
  socket.on("data", (chunk) => {
    buffer += chunk.toString("utf8");
    let at;
    while ((at = buffer.indexOf("\r\n")) >= 0) {
      const line = buffer.slice(0, at);
      buffer = buffer.slice(at + 2);
      if (inData) {
        if (line === ".") {
          inData = false;
          const raw = data.join("\r\n");
          for (const to of rcpts) {
            count += 1;
            writeFileSync(join(dir, `${Date.now()}-${count}-${to}.eml`), raw);
          }
          rcpts = [];
          data = [];
          reply("250 queued");
        } else {
          data.push(line.startsWith("..") ? line.slice(1) : line);
        }
        continue;
      }
      const verb = line.slice(0, 4).toUpperCase();
      if (verb === "EHLO") {
        socket.write("250-carnet-e2e-sink\r\n250 8BITMIME\r\n");
      } else if (verb === "HELO" || verb === "MAIL" || verb === "RSET" || verb === "NOOP") {
        reply("250 ok");
      } else if (verb === "RCPT") {
        const m = line.match(/<([^>]*)>/);
        if (m) rcpts.push(m[1].replace(/[^A-Za-z0-9@._+-]/g, "_"));
        reply("250 ok");
      } else if (verb === "DATA") {
        inData = true;
        reply("354 go ahead");
      } else if (verb === "QUIT") {
        reply("221 bye");
        socket.end();
      } else {
        reply("502 not implemented");
      }
    }
  });
  socket.on("error", () => {});
}).listen(Number(port), "127.0.0.1");
