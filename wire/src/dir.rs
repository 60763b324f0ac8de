//! Directory lookups both codecs need, tolerant of ids the directory does
//! not know (an encoder never panics on an event).

use engine::{AssetId, Directory, Name};

/// The asset's name, `None` for an unknown id.
pub(crate) fn asset_name(dir: &Directory, id: AssetId) -> Option<Name> {
    dir.assets().get(id.0 as usize).map(|a| a.name)
}

/// The asset's scale, 0 for an unknown id.
pub(crate) fn asset_scale(dir: &Directory, id: AssetId) -> u8 {
    dir.assets().get(id.0 as usize).map_or(0, |a| a.scale)
}
