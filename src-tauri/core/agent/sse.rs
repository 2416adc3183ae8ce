//! A server-sent-events decoder for the model's stream: bytes in, `data` payloads out. It
//! keeps partial lines across chunks, joins multi-line data, and ignores comments and the
//! `event:`/`id:`/`retry:` fields (every Responses API payload names its own type).

#[derive(Default)]
pub struct SseDecoder {
    buffer: Vec<u8>,
    data: Vec<String>,
}

impl SseDecoder {
    /// Feeds bytes; returns the payloads of the events they completed.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<String> {
        self.buffer.extend_from_slice(bytes);
        let mut events = Vec::new();
        while let Some(end) = self.buffer.iter().position(|b| *b == b'\n') {
            let mut line: Vec<u8> = self.buffer.drain(..=end).collect();
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            let line = String::from_utf8_lossy(&line);
            if line.is_empty() {
                if !self.data.is_empty() {
                    events.push(self.data.join("\n"));
                    self.data.clear();
                }
            } else if let Some(value) = line.strip_prefix("data:") {
                self.data
                    .push(value.strip_prefix(' ').unwrap_or(value).to_string());
            }
        }
        events
    }

    /// At the end of the stream: an event that was never terminated by a blank line.
    pub fn finish(&mut self) -> Option<String> {
        let mut tail = std::mem::take(&mut self.buffer);
        if !tail.is_empty() {
            if tail.last() != Some(&b'\n') {
                tail.push(b'\n');
            }
            tail.push(b'\n');
            return self.feed(&tail).pop();
        }
        (!self.data.is_empty()).then(|| std::mem::take(&mut self.data).join("\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_split_across_chunks_and_lines() {
        let mut decoder = SseDecoder::default();
        assert!(decoder
            .feed(b"event: response.created\ndata: {\"a\"")
            .is_empty());
        assert_eq!(decoder.feed(b":1}\n\n: comment\n\nda"), vec!["{\"a\":1}"]);
        assert_eq!(decoder.feed(b"ta: x\r\ndata: y\r\n\r\n"), vec!["x\ny"]);
        assert!(decoder.feed(b"data: tail").is_empty());
        assert_eq!(decoder.finish().as_deref(), Some("tail"));
        assert_eq!(decoder.finish(), None);
    }
}
