//! The writer's door on the outbound stream: a [`pipeline::Consumer`] that
//! gathers each input ([`Output::Input`]) with its events and offers them
//! to the [`Writer`] together.
//!
//! What holds: an input is offered once its last event passed (or at once
//! when it has none); anything it cannot pair (a stream without inputs, a
//! halted input) is left to the writer's catch-up from the journal. Never
//! blocks: [`Writer::offer`] drops into catch-up when its buffer is full.

use crate::writer::Writer;
use engine::{Command, Event};
use pipeline::{Consumer, OutSlot, Output};

pub struct Feed {
    writer: Writer,
    cmd: Option<Command>,
    events: Vec<Event>,
}

impl Feed {
    /// The stream must carry inputs (`PipelineConfig::publish_inputs`).
    pub fn new(writer: Writer) -> Feed {
        Feed {
            writer,
            cmd: None,
            events: Vec::with_capacity(64),
        }
    }

    pub fn writer(&self) -> &Writer {
        &self.writer
    }

    /// Stops the writer after what was offered is stored.
    pub fn stop(self) -> Result<(), String> {
        self.writer.stop()
    }

    fn offer(&mut self) {
        if let Some(cmd) = self.cmd.take() {
            self.writer.offer(&cmd, &self.events);
        }
        self.events.clear();
    }
}

impl Consumer for Feed {
    fn on_output(&mut self, slot: &OutSlot, _end_of_batch: bool) {
        match &slot.output {
            Output::Input(cmd) => {
                // A previous input whose last event never came: the writer
                // re-derives it from the journal, it is not guessed here.
                self.cmd = Some(*cmd);
                self.events.clear();
                if slot.last {
                    self.offer();
                }
            }
            Output::Event(ev) if self.cmd.is_some_and(|c| c.seq == slot.seq) => {
                self.events.push(*ev);
                if slot.last {
                    self.offer();
                }
            }
            Output::Halted { .. } => {
                self.cmd = None;
                self.events.clear();
            }
            _ => {}
        }
    }
}
