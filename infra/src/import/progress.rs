//! The import's progress bar (indicatif): bytes of the export read, with the counts so
//! far and the rate in items a second.

use super::run::{Progress, Summary};
use indicatif::{ProgressBar, ProgressStyle};
use std::time::Instant;

pub struct Bar {
    bar: ProgressBar,
    started: Instant,
}

impl Default for Bar {
    fn default() -> Self {
        Bar::new()
    }
}

impl Bar {
    pub fn new() -> Bar {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {percent:>3}% {msg}")
                .expect("a valid template")
                .progress_chars("=> "),
        );
        Bar {
            bar,
            started: Instant::now(),
        }
    }

    fn message(&self, summary: &Summary) -> String {
        let seconds = self.started.elapsed().as_secs_f64().max(0.001);
        format!(
            "{} posts, {} drafts, {} comments, {} skipped, {} malformed · {:.0} items/s",
            summary.posts,
            summary.drafts,
            summary.comments(),
            summary.skipped(),
            summary.malformed.len(),
            summary.items as f64 / seconds
        )
    }
}

impl Progress for Bar {
    fn start(&self, total_bytes: u64) {
        self.bar.set_length(total_bytes);
        self.bar.reset_elapsed();
    }

    fn advance(&self, bytes_read: u64, summary: &Summary) {
        self.bar.set_position(bytes_read);
        self.bar.set_message(self.message(summary));
    }

    fn media(&self, done: usize, total: usize) {
        if done == 0 {
            self.bar.set_length(total as u64);
            self.bar.set_position(0);
        } else {
            self.bar.set_position(done as u64);
        }
        self.bar.set_message(format!("media {done}/{total}"));
    }

    fn finish(&self, summary: &Summary) {
        self.bar.finish_with_message(self.message(summary));
    }
}
