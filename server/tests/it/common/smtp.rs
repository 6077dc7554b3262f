//! A small SMTP server on loopback for the tests: it speaks enough of RFC 5321 for a
//! real client (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT), keeps every message it
//! accepts, and refuses recipients whose address contains "refused" with a 550.

use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

#[derive(Clone, Default)]
pub struct Inbox(Arc<Mutex<Vec<String>>>);

impl Inbox {
    pub fn messages(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

/// A free loopback port (nothing listens there once this returns).
pub async fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap().port()
}

/// Serves SMTP on `port` until the test ends.
pub async fn serve(port: u16) -> Inbox {
    let listener = TcpListener::bind(("127.0.0.1", port)).await.expect("bind the test SMTP port");
    let inbox = Inbox::default();
    let kept = inbox.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let kept = kept.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                let _ = write.write_all(b"220 test.local ESMTP\r\n").await;
                while let Ok(Some(line)) = lines.next_line().await {
                    let verb = line.split([' ', ':']).next().unwrap_or("").to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" => b"250-test.local\r\n250 8BITMIME\r\n",
                        "HELO" | "MAIL" | "RSET" | "NOOP" => b"250 OK\r\n",
                        "RCPT" if line.to_ascii_lowercase().contains("refused") => b"550 5.1.1 No such user\r\n",
                        "RCPT" => b"250 OK\r\n",
                        "DATA" => {
                            let _ = write.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n").await;
                            let mut message = String::new();
                            let mut ended = false;
                            while let Ok(Some(data)) = lines.next_line().await {
                                if data == "." {
                                    ended = true;
                                    break;
                                }
                                message.push_str(&data);
                                message.push('\n');
                            }
                            // A client killed mid-message sent nothing: a real server
                            // drops what it got before the final dot.
                            if !ended {
                                break;
                            }
                            kept.0.lock().unwrap().push(message);
                            b"250 OK queued\r\n"
                        }
                        "QUIT" => {
                            let _ = write.write_all(b"221 Bye\r\n").await;
                            break;
                        }
                        _ => b"502 Command not implemented\r\n",
                    };
                    if write.write_all(reply).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    inbox
}
