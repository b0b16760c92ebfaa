//! Progress on stderr for long work (indicatif): drawn only on a terminal and never with `-q`,
//! so logs and CI output stay clean.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::Context;

fn visible(context: &Context) -> bool {
    context.global.quiet == 0 && std::io::stderr().is_terminal() && context.actions.is_none()
}

/// A spinner with a message; hidden when progress should not be drawn.
pub fn spinner(context: &Context, message: impl Into<String>) -> ProgressBar {
    if !visible(context) {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} ({elapsed})").expect("the template is valid"),
    );
    bar.set_message(message.into());
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

/// A bar counting `total` items; hidden when progress should not be drawn.
pub fn bar(context: &Context, total: u64, message: impl Into<String>) -> ProgressBar {
    if !visible(context) {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} ({elapsed})")
            .expect("the template is valid")
            .progress_chars("=> "),
    );
    bar.set_message(message.into());
    bar
}

/// Clears its spinner when dropped.
struct Finish(ProgressBar);

impl Drop for Finish {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}

/// The pipeline's progress: spinners on a terminal.
pub struct Spinners {
    visible: bool,
}

impl Spinners {
    pub fn new(context: &Context) -> Spinners {
        Spinners {
            visible: visible(context),
        }
    }
}

impl crabox_pipeline::Progress for Spinners {
    fn start(&self, message: &str) -> Box<dyn std::any::Any + Send> {
        if !self.visible {
            return Box::new(());
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                .expect("the template is valid"),
        );
        bar.set_message(message.to_owned());
        bar.enable_steady_tick(Duration::from_millis(100));
        Box::new(Finish(bar))
    }
}
