//! The page and its scripts, embedded in the binary: the dashboard loads
//! nothing from the network. uPlot is vendored from the npm registry; its
//! version and licence are in `assets/VENDORED.md` and
//! `assets/uPlot.LICENSE`.

/// One embedded file.
pub(crate) struct Asset {
    pub(crate) body: &'static [u8],
    pub(crate) content_type: &'static str,
}

pub(crate) const INDEX: Asset = Asset {
    body: include_bytes!("assets/index.html"),
    content_type: "text/html; charset=utf-8",
};

/// The files under `/assets/`, by name.
pub(crate) fn named(name: &str) -> Option<Asset> {
    let (body, content_type): (&'static [u8], _) = match name {
        "app.js" => (
            include_bytes!("assets/app.js"),
            "text/javascript; charset=utf-8",
        ),
        "app.css" => (include_bytes!("assets/app.css"), "text/css; charset=utf-8"),
        "uPlot.iife.min.js" => (
            include_bytes!("assets/uPlot.iife.min.js"),
            "text/javascript; charset=utf-8",
        ),
        "uPlot.min.css" => (
            include_bytes!("assets/uPlot.min.css"),
            "text/css; charset=utf-8",
        ),
        _ => return None,
    };
    Some(Asset { body, content_type })
}

/// Everything the page loads, for the size budget.
#[cfg(test)]
pub(crate) fn total_size() -> usize {
    ["app.js", "app.css", "uPlot.iife.min.js", "uPlot.min.css"]
        .iter()
        .filter_map(|name| named(name))
        .map(|asset| asset.body.len())
        .sum::<usize>()
        + INDEX.body.len()
}
