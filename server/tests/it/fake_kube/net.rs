//! A listener that can go down for real: while down its port is closed
//! (connection refused) and connections accepted before are cut.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// An `axum::serve` listener that closes its port while the fake is down.
pub struct DownableListener {
    listener: Option<TcpListener>,
    addr: SocketAddr,
    down: watch::Receiver<bool>,
    epoch: Arc<AtomicU64>,
}

impl DownableListener {
    /// Wraps a bound listener; `down` says when to close, `epoch` is bumped on each outage.
    pub fn new(listener: TcpListener, down: watch::Receiver<bool>, epoch: Arc<AtomicU64>) -> Self {
        let addr = listener.local_addr().expect("local addr");
        Self { listener: Some(listener), addr, down, epoch }
    }
}

impl axum::serve::Listener for DownableListener {
    type Io = Conn;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Conn, SocketAddr) {
        loop {
            if *self.down.borrow() {
                self.listener = None;
                let _ = self.down.wait_for(|down| !*down).await;
            }
            if self.listener.is_none() {
                match TcpListener::bind(self.addr).await {
                    Ok(listener) => self.listener = Some(listener),
                    Err(_) => {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        continue;
                    }
                }
            }
            let Some(listener) = self.listener.as_ref() else { continue };
            let accepted = tokio::select! {
                accepted = listener.accept() => Some(accepted),
                () = async { drop(self.down.wait_for(|down| *down).await) } => None,
            };
            match accepted {
                Some(Ok((stream, peer))) if !*self.down.borrow() => {
                    let epoch = self.epoch.clone();
                    return (Conn { stream, born: epoch.load(Ordering::SeqCst), epoch }, peer);
                }
                Some(Err(_)) => tokio::time::sleep(Duration::from_millis(20)).await,
                Some(Ok(_)) | None => {}
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.addr)
    }
}

/// A TCP connection that fails every read and write once the fake went down after accepting it.
pub struct Conn {
    stream: TcpStream,
    born: u64,
    epoch: Arc<AtomicU64>,
}

impl Conn {
    fn cut(&self) -> bool {
        self.epoch.load(Ordering::SeqCst) != self.born
    }
}

fn reset() -> io::Error {
    io::Error::new(io::ErrorKind::ConnectionReset, "fake kube is down")
}

impl AsyncRead for Conn {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        if self.cut() {
            return Poll::Ready(Err(reset()));
        }
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Conn {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        if self.cut() {
            return Poll::Ready(Err(reset()));
        }
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
